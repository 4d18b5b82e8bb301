"""Registering, logging in and out: each refusal flashes why and stores nothing."""

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import User, UserSession
from tests.helpers import PASSWORD, create_user, flash_text, flashes


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_register_creates_user_logs_in_and_lands_on_watchlist(app, client, auth):
    response = auth.register("ann@example.com")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "ann@example.com" in page.get_data(as_text=True)
    assert ("success", "Welcome to FlickList! Your watchlist is ready.") in flashes(
        page
    )
    with app.app_context():
        stored = db.session.scalar(sa.select(User))
        assert stored.email == "ann@example.com"
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash


@pytest.mark.parametrize(
    ("email", "password", "verify", "expected"),
    [
        ("ann@example.com", PASSWORD, PASSWORD + "x", "match"),
        ("not-an-email", PASSWORD, PASSWORD, "email"),
        ("ann@", PASSWORD, PASSWORD, "email"),
        ("", PASSWORD, PASSWORD, "email"),
        ("ann@example.com", "short", "short", "8 to 128"),
        ("ann@example.com", "x" * 129, "x" * 129, "8 to 128"),
        ("ann@example.com", "password1", "password1", "common"),
        ("ann@example.com", "Password123", "Password123", "common"),
    ],
)
def test_register_refusals_flash_and_store_nothing(
    app, client, auth, email, password, verify, expected
):
    response = auth.register(email, password, verify)
    assert response.status_code == 200
    messages = flashes(response)
    assert any(
        category == "error" and expected in text for category, text in messages
    ), messages
    assert user_count(app) == 0
    assert client.get("/").status_code == 302


def test_register_shows_every_error_at_once(client, auth):
    response = auth.register("nope", "short", "other")
    text = flash_text(response)
    assert "email" in text and "8 to 128" in text and "match" in text


@pytest.mark.parametrize(
    "second", ["ann@example.com", "Ann@Example.COM", " ANN@example.com "]
)
def test_email_already_registered_ignores_case(
    app, client, auth, password_hash, second
):
    create_user(app, "ann@example.com", password_hash)
    response = auth.register(second)
    assert response.status_code == 200
    assert "already" in flash_text(response)
    assert user_count(app) == 1


def test_password_of_128_characters_and_any_characters_is_accepted(app, auth, client):
    password = "ü ✓ " + "z" * 124
    assert len(password) == 128
    assert auth.register(password=password).status_code == 303
    auth.logout()
    assert auth.login(password=password).status_code == 303
    # Never stripped: the same password with a trailing space is another password.
    auth.logout()
    assert auth.login(password=password + " ").status_code == 200


def test_login_redirects_home_and_remembers_nothing_without_the_box(
    client, auth, user_id
):
    response = auth.login()
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/"
    assert "flicklist_remember" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ann@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
        ("ANN@EXAMPLE.COM", "wrong password!"),
    ],
)
def test_failed_login_gives_the_same_message(client, auth, user_id, email, password):
    response = auth.login(email, password)
    assert response.status_code == 200
    assert ("error", "Invalid email or password.") in flashes(response)
    assert client.get("/").status_code == 302


def test_login_email_ignores_case(client, auth, user_id):
    assert auth.login("ANN@Example.com").status_code == 303


def test_remember_me_sets_a_bounded_cookie(client, auth, user_id):
    response = auth.login(remember=True)
    cookie = [
        c
        for c in response.headers.getlist("Set-Cookie")
        if c.startswith("flicklist_remember=")
    ]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    assert "Expires=" in cookie[0]


def test_remember_me_keeps_the_user_logged_in_after_the_browser_session(
    app, client, auth, user_id
):
    auth.login(remember=True)
    client.delete_cookie("flicklist_session")
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["/watched", "/watched?sort=title", "/account"])
def test_login_follows_a_local_next(client, auth, user_id, target):
    response = auth.login(next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example", "/\\evil.example", "http:/evil.example"],
)
def test_login_refuses_a_foreign_next(client, auth, user_id, target):
    response = auth.login(next=target)
    assert response.headers["Location"] == "/"


def test_logout_is_post_only(client, logged_in):
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_ends_the_session_even_for_a_replayed_cookie(app, client, auth, user_id):
    auth.login(remember=True)
    saved = {cookie.key: cookie.value for cookie in client._cookies.values()}
    response = auth.logout()
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/login"
    for name, value in saved.items():
        client.set_cookie(name, value)
    assert client.get("/").status_code == 302
    client.delete_cookie("flicklist_session")
    assert client.get("/").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0


def test_navigation_shows_login_links_or_the_user(client, auth, user_id):
    html = client.get("/login").get_data(as_text=True)
    assert ">Log in</a>" in html and ">Register</a>" in html and "Log out" not in html
    auth.login()
    html = client.get("/").get_data(as_text=True)
    assert "ann@example.com" in html and ">Log out</button>" in html


def test_a_logged_in_visitor_still_gets_the_forms_and_their_messages(app, client, auth):
    auth.register("ann@example.com")
    assert client.get("/register").status_code == 200
    assert client.get("/login").status_code == 200
    response = auth.register("ANN@example.com")
    assert "already" in flash_text(response)
    assert user_count(app) == 1
    response = auth.login("ann@example.com", "wrong password!")
    assert ("error", "Invalid email or password.") in flashes(response)


def test_logging_in_over_a_login_ends_the_first_session(app, client, auth, user_id):
    auth.login()
    auth.login()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 1


def test_addresses_at_test_domains_are_accepted(app, auth):
    assert auth.register("ann@example.test").status_code == 303


def test_a_password_of_eight_spaces_is_a_password(app, auth):
    assert auth.register(password=" " * 8).status_code == 303
