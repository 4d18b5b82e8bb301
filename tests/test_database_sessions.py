"""How requests use their database connection: round trips saved, safety kept.

PostgreSQL: a GET reads in autocommit (no BEGIN, no ROLLBACK round trip), a POST
and a GET that asks for it run in one transaction, and a pooled connection that sat
idle is tested before use, so a dropped connection never reaches a request.
"""

import pytest
import sqlalchemy as sa
from flask import Flask

from flicklist.db_session import read_in_one_transaction
from flicklist.extensions import db
from tests.helpers import (
    AuthActions,
    csrf_token,
    make_app,
    postgresql_only,
    recorded_begins,
)


def autocommit_in(app: Flask, method: str, ask_for_transaction: bool = False) -> bool:
    """Whether the request's connection runs each statement on its own."""
    with app.test_request_context("/", method=method):
        if ask_for_transaction:
            read_in_one_transaction(db.session)
        db.session.execute(sa.text("SELECT 1"))
        return db.session.connection().connection.driver_connection.autocommit


@postgresql_only
def test_a_get_reads_in_autocommit_and_a_post_in_a_transaction(app):
    assert autocommit_in(app, "GET") is True
    assert autocommit_in(app, "POST") is False
    assert autocommit_in(app, "GET", ask_for_transaction=True) is False
    # The pool hands the connection on as it found it.
    with app.app_context(), db.engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False


@postgresql_only
def test_the_export_streams_in_one_transaction(logged_in):
    response = logged_in.get("/export.csv")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("Title,Year")


@postgresql_only
def test_a_connection_dropped_while_idle_is_replaced_before_a_request(
    database_url, tmp_path, user_id
):
    app = make_app(
        database_url,
        instance_path=tmp_path / "idle",
        DATABASE_PING_AFTER_IDLE_SECONDS=0,
    )
    client = app.test_client()
    assert AuthActions(client).login().status_code == 303
    assert client.get("/").status_code == 200
    with app.app_context():
        pooled = db.engine.pool.checkedin()
    admin_engine = sa.create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://")
    )
    try:
        with admin_engine.connect() as admin:
            ended = admin.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND application_name = ''"
                )
            )
    finally:
        admin_engine.dispose()
    assert pooled >= 1 and ended >= 1
    # Every pooled connection is dead now; the page and a write still work.
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    response = client.post("/movies", data={"csrf_token": token, "title": "Alive"})
    assert response.status_code == 303
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_begins_a_post_as_a_writer_after_the_session_lookup(logged_in, app):
    """The lookup reads in a plain BEGIN; the write waits for the lock with BEGIN
    IMMEDIATE, so it holds the lock only while it writes."""
    token = csrf_token(logged_in, "/")
    with recorded_begins(app) as begins:
        response = logged_in.post("/movies", data={"csrf_token": token, "title": "Up"})
    assert response.status_code == 303
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
