"""Sessions: server-side records that logout, timeouts and password changes end."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from config import TestConfig
from flicklist.extensions import db
from flicklist.models import UserSession
from flicklist.security import token_digest
from tests.helpers import (
    PASSWORD,
    AuthActions,
    create_user,
    flash_text,
    https_login,
    https_post,
    make_app,
    make_production_app,
    post,
)

SESSION_COOKIE = TestConfig.SESSION_COOKIE_NAME
REMEMBER_COOKIE = TestConfig.REMEMBER_COOKIE_NAME


def session_rows(app) -> list[UserSession]:
    with app.app_context():
        return list(db.session.scalars(sa.select(UserSession)))


def shift_session(app, **changes: timedelta) -> None:
    """Move the stored session's times, as if the clock had run on."""
    with app.app_context():
        record = db.session.scalar(sa.select(UserSession))
        for column, delta in changes.items():
            setattr(record, column, getattr(record, column) + delta)
        db.session.commit()


def is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def replay(app, **cookies: str):
    """A new browser holding only the given cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def test_login_starts_a_new_session_and_drops_earlier_data(app, client, auth, user_id):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie(SESSION_COOKIE).value
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["_user_id"]
    assert client.get_cookie(SESSION_COOKIE).value != before
    # 256 random bits; the database keeps only their SHA-256.
    assert len(token) >= 43
    [record] = session_rows(app)
    assert record.token_hash == token_digest(token) != token
    # The pre-login cookie grants nothing, and each login gets its own token.
    assert not is_logged_in(replay(app, **{SESSION_COOKIE: before}))
    auth.logout()
    auth.login()
    with client.session_transaction() as session:
        assert session["_user_id"] != token


def test_session_cookie_replayed_after_logout_is_refused(app, client, auth, user_id):
    auth.login()
    saved = client.get_cookie(SESSION_COOKIE).value
    assert is_logged_in(replay(app, **{SESSION_COOKIE: saved}))
    auth.logout()
    assert not is_logged_in(replay(app, **{SESSION_COOKIE: saved}))
    assert session_rows(app) == []


def test_remember_me_cookie_replayed_after_logout_is_refused(
    app, client, auth, user_id
):
    auth.login(remember=True)
    saved = client.get_cookie(REMEMBER_COOKIE).value
    # Alone, the remember-me cookie logs a new browser in...
    assert is_logged_in(replay(app, **{REMEMBER_COOKIE: saved}))
    response = auth.logout()
    # ...the logout expires it in the browser...
    cleared = [
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith(f"{REMEMBER_COOKIE}=")
    ]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]
    # ...and a copy kept from before no longer works.
    assert not is_logged_in(replay(app, **{REMEMBER_COOKIE: saved}))
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_deleting_the_account_ends_every_session(app, auth, user_id):
    other = app.test_client()
    AuthActions(other).login(remember=True)
    saved = {
        SESSION_COOKIE: other.get_cookie(SESSION_COOKIE).value,
        REMEMBER_COOKIE: other.get_cookie(REMEMBER_COOKIE).value,
    }
    auth.login()
    response = post(auth.client, "/account/delete", {"password": PASSWORD})
    assert response.status_code == 303
    assert session_rows(app) == []
    assert not is_logged_in(other)
    assert not is_logged_in(replay(app, **saved))


def test_password_change_ends_remembered_logins_elsewhere(app, auth, user_id):
    other = app.test_client()
    AuthActions(other).login(remember=True)
    saved = other.get_cookie(REMEMBER_COOKIE).value
    auth.login()
    response = post(
        auth.client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a new long secret",
            "verify": "a new long secret",
        },
    )
    assert response.status_code == 303
    assert not is_logged_in(replay(app, **{REMEMBER_COOKIE: saved}))
    assert is_logged_in(auth.client)


def test_idle_timeout_ends_the_session(app, client, auth, user_id):
    auth.login()
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    shift_session(app, last_seen_at=-(idle - timedelta(minutes=1)))
    assert is_logged_in(client)  # used in time: the session goes on
    shift_session(app, last_seen_at=-(idle + timedelta(minutes=1)))
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert session_rows(app) == []


def test_absolute_timeout_ends_even_an_active_session(app, client, auth, user_id):
    auth.login()
    [record] = session_rows(app)
    assert (
        record.expires_at - record.created_at == app.config["SESSION_ABSOLUTE_TIMEOUT"]
    )
    # Active a minute ago, but started longer ago than the absolute timeout.
    lifetime = app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(minutes=1)
    shift_session(app, created_at=-lifetime, expires_at=-lifetime)
    assert not is_logged_in(client)
    assert session_rows(app) == []


def test_remember_me_is_bounded_to_its_duration(app, client, auth, user_id):
    auth.login(remember=True)
    [record] = session_rows(app)
    duration = app.config["REMEMBER_COOKIE_DURATION"]
    assert duration == timedelta(days=30)
    assert record.remember and record.expires_at - record.created_at == duration
    saved = client.get_cookie(REMEMBER_COOKIE).value
    shift_session(app, created_at=-duration, expires_at=-duration)
    assert not is_logged_in(replay(app, **{REMEMBER_COOKIE: saved}))


def test_timeouts_are_settings_in_seconds(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_SESSION_IDLE_TIMEOUT", "600")
    monkeypatch.setenv("FLASK_SESSION_ABSOLUTE_TIMEOUT", "3600")
    monkeypatch.setenv("FLASK_REMEMBER_COOKIE_DURATION", "86400")
    app = make_app("sqlite://", instance_path=tmp_path / "instance")
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=10)
    assert app.config["SESSION_ABSOLUTE_TIMEOUT"] == timedelta(hours=1)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=1)


@pytest.fixture
def production_app(database_url, tmp_path):
    app = make_production_app(database_url, instance_path=tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


def cookie_headers(response) -> dict[str, str]:
    headers = response.headers.getlist("Set-Cookie")
    return {header.split("=", 1)[0]: header for header in headers}


def test_production_cookies_are_secure_host_only_and_http_only(
    production_app, password_hash
):
    create_user(production_app, "ann@example.com", password_hash)
    client = production_app.test_client()
    response = https_login(client)
    assert response.status_code == 303
    cookies = cookie_headers(response)
    assert set(cookies) == {"__Host-flicklist_session", "__Host-flicklist_remember"}
    for header in cookies.values():
        attributes = [part.strip() for part in header.split(";")]
        assert "Secure" in attributes and "HttpOnly" in attributes
        assert "SameSite=Lax" in attributes and "Path=/" in attributes
        assert not any(part.startswith("Domain=") for part in attributes)
    # Logging out expires the remember-me cookie with the same attributes, so a
    # browser accepts the deletion of a `__Host-` cookie.
    response = https_post(client, "/logout", {}, "/account")
    assert response.status_code == 303
    cleared = cookie_headers(response)["__Host-flicklist_remember"]
    assert "Secure" in cleared and "Max-Age=0" in cleared


def test_development_cookies_are_http_only_and_lax(client, auth, user_id):
    response = auth.login(remember=True)
    for header in response.headers.getlist("Set-Cookie"):
        assert "HttpOnly" in header and "SameSite=Lax" in header


def test_signing_out_the_other_sessions_asks_for_the_password(app, auth, user_id):
    other = app.test_client()
    AuthActions(other).login(remember=True)
    auth.login()
    path = "/account/sessions/others/delete"
    for wrong in ({}, {"confirm_password": "not my password"}):
        response = post(auth.client, path, wrong, follow_redirects=True)
        assert "password" in flash_text(response)
        assert is_logged_in(other) and len(session_rows(app)) == 2
    response = post(auth.client, path, {"confirm_password": PASSWORD})
    assert response.status_code == 303
    assert not is_logged_in(other) and is_logged_in(auth.client)
    assert len(session_rows(app)) == 1
