"""Database URL handling and per-connection settings for SQLite and PostgreSQL."""

from pathlib import Path

from flask import Flask, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def normalise_database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://`, using the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(app: Flask) -> dict:
    """SQLAlchemy engine options that suit the configured database."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options: dict = {"pool_pre_ping": True}
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


def default_sqlite_url(app: Flask) -> str:
    return "sqlite:///" + str(Path(app.instance_path) / "flicklist.sqlite")


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
        writing = has_request_context() and request.method not in READ_METHODS
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
