"""The database connection: URLs, engine options, SQLite's per-connection settings,
and development's schema on first use."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Lock

import flask_migrate
import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from flicklist.db_session import READ_METHODS
from flicklist.extensions import db


def normalise_database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://`, using the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(app: Flask) -> dict:
    """SQLAlchemy engine options that suit the configured database."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    # No pool_pre_ping: a round trip before every request. PostgreSQL's idle
    # connections are tested instead (ping_after_idle); SQLite's file needs none.
    options: dict = {}
    if url.get_backend_name() == "sqlite":
        options["connect_args"] = {
            "timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000,
            "check_same_thread": False,
        }
    elif url.get_backend_name() == "postgresql":
        options["pool_size"] = app.config["DATABASE_POOL_SIZE"]
        options["max_overflow"] = app.config["DATABASE_MAX_OVERFLOW"]
        options["connect_args"] = {"connect_timeout": 5}
    options.update(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    return options


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only when it has sat idle a while.

    A connection in steady use proves itself on every request; one that sat idle
    may have been closed meanwhile (a database restart, a firewall), so only that
    one is tested, and replaced when the test fails: the pool checks out another
    when a checkout listener raises DisconnectionError (SQLAlchemy's PoolEvents).
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkin")
    def note_idle_since(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except dbapi_error as error:
            raise sa.exc.DisconnectionError(str(error)) from error


def default_sqlite_url(instance_folder: Path) -> str:
    return "sqlite:///" + str(instance_folder / "flicklist.sqlite")


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout and foreign keys on every connection; writers begin as writers.

    A SQLite transaction that reads and then writes fails at once with "database is
    locked" when another writer got in first, whatever the busy timeout. So a request
    that may write (any POST) starts with BEGIN IMMEDIATE and waits for the lock.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Take over transaction control from the sqlite3 module (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if may_write() else "BEGIN")


def may_write() -> bool:
    """True in a request that may write, outside its read-only step."""
    return (
        has_request_context()
        and request.method not in READ_METHODS
        and not g.get("read_only_step")
    )


@contextmanager
def read_only_step() -> Iterator[None]:
    """A first step of a request that only reads (the session lookup).

    On SQLite, in a request that may write, it runs in a plain BEGIN transaction
    of its own, ended here; the request's writes then begin theirs with BEGIN
    IMMEDIATE, so a POST holds the write lock while it writes, not from the
    session lookup on. Elsewhere it changes nothing.
    """
    if not may_write() or db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    g.read_only_step = True
    try:
        yield
    finally:
        g.read_only_step = False
    # Commit, not rollback: a rollback would expire what the step loaded.
    db.session.commit()


def register_empty_database_upgrade(app: Flask) -> None:
    """Development only: `flask run` on a fresh checkout creates its schema.

    The migrations run once, on the first request, and only when the database has
    no tables at all: a database made by `flask db upgrade` or by `create_all()` is
    left as it is. Production never does this; there `flask db upgrade` is the
    release step.
    """
    if not app.config.get("UPGRADE_EMPTY_DATABASE"):
        return
    lock = Lock()
    state = {"checked": False}

    @app.before_request
    def upgrade_empty_database() -> None:
        if state["checked"]:
            return
        with lock:
            if not state["checked"]:
                if not sa.inspect(db.engine).get_table_names():
                    app.logger.info("empty database: running the migrations")
                    flask_migrate.upgrade()
                state["checked"] = True
