"""The 500 page when the database is what failed: the site's page, at once.

A logged-in user's request fails on loading the user (PostgreSQL refusing
connections, SQLite's write lock held by someone else); the error page must not
ask the database again, so it renders with its headers after one failed try.
"""

import sqlite3

import pytest
import sqlalchemy as sa
from flask import Flask

from flicklist.extensions import db
from tests.helpers import (
    AuthActions,
    assert_site_error_page,
    csrf_token,
    make_app,
    make_production_app,
    recorded_begins,
)
from tests.servers import (
    PORTS,
    Browser,
    Gunicorn,
    app_environment,
    free_port,
    gunicorn_binary,
    require,
)

SESSION_COOKIE = "flicklist_session"


def closed_postgresql_url() -> str:
    return f"postgresql://nobody@127.0.0.1:{free_port(PORTS)}/flicklist"


def count_connection_attempts(app: Flask) -> list[int]:
    attempts: list[int] = []
    with app.app_context():
        engine = db.engine

    def record(*_args) -> None:
        attempts.append(1)

    sa.event.listen(engine, "do_connect", record)
    return attempts


def test_a_logged_in_user_gets_the_500_page_when_postgresql_refuses(logged_in):
    """Same secret key, the database gone: the login cookie now makes the
    user loader fail, and the 500 page must not try to load the user again."""
    down = make_app(closed_postgresql_url(), PROPAGATE_EXCEPTIONS=False)
    attempts = count_connection_attempts(down)
    client = down.test_client()
    client.set_cookie(SESSION_COOKIE, logged_in.get_cookie(SESSION_COOKIE).value)
    for path in ("/", "/watched", "/account"):
        attempts.clear()
        response = client.get(path)
        assert_site_error_page(response, 500)
        assert "Something went wrong" in response.get_data(as_text=True)
        assert len(attempts) == 1, f"{path}: {len(attempts)} connection attempts"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_logged_in_user_gets_the_500_page_when_sqlite_is_locked(
    tmp_path, database_url, user_id
):
    """Another connection holds the write lock: one wait of the busy timeout,
    not a second one for the error page."""
    app = make_app(
        database_url,
        instance_path=tmp_path / "locked",
        PROPAGATE_EXCEPTIONS=False,
        SQLITE_BUSY_TIMEOUT_MS=300,
    )
    client = app.test_client()
    assert AuthActions(client).login().status_code == 303
    token = csrf_token(client, "/")
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
    try:
        holder.isolation_level = None
        holder.execute("BEGIN IMMEDIATE")
        with recorded_begins(app) as begins:
            response = client.post("/movies", data={"csrf_token": token, "title": "Up"})
    finally:
        holder.rollback()
        holder.close()
    assert_site_error_page(response, 500)
    # The session lookup reads in a plain BEGIN of its own (WAL lets it past the
    # writer); the write waits once, and the error page does not wait again.
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"], begins
    with app.app_context():
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_gunicorn_answers_a_logged_in_user_with_the_500_page(
    tmp_path, database_url, user_id
):
    """`gunicorn wsgi:app` on a PostgreSQL that refuses, and a browser whose login
    cookie (same SECRET_KEY) was made while the database was up."""
    require(gunicorn_binary(), "gunicorn is not installed")
    env = app_environment(closed_postgresql_url())
    cookie = login_cookie(database_url, env["SECRET_KEY"])
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        browser = Browser(server.port)
        browser.cookies[SESSION_COOKIE] = cookie
        for path in ("/", "/account", "/no/such/page"):
            response = browser.get(path)
            expected = 404 if path == "/no/such/page" else 500
            assert response.status == expected, (path, response.status)
            assert f"Error {expected}" in response.text and "</html>" in response.text
            assert "frame-ancestors" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Log out" in response.text  # the session says who is logged in


def login_cookie(database_url: str, secret_key: str) -> str:
    """The session cookie of ann@example.com, logged in through the real form by
    a production app holding the same secret key as the server."""
    app = make_production_app(
        database_url,
        SECRET_KEY=secret_key,
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
    )
    client = app.test_client()
    # Over plain http, as the server below is reached (the test client would use
    # PREFERRED_URL_SCHEME, https, whose strict CSRF check wants a Referer).
    assert AuthActions(client).login(base_url="http://localhost").status_code == 303
    with app.app_context():
        db.engine.dispose()
    return client.get_cookie(SESSION_COOKIE).value
