"""The account page: change the password (ending other sessions), delete the account."""

import sqlalchemy as sa

from flicklist.auth.passwords import verify_password
from flicklist.extensions import db
from flicklist.models import Movie, User, UserSession, Viewing
from tests.helpers import (
    PASSWORD,
    AuthActions,
    create_movie,
    flash_text,
    flashes,
    post,
    stored_hash,
)

NEW_PASSWORD = "a brand new passphrase"


def test_account_page_shows_email_and_forms(logged_in):
    html = logged_in.get("/account").get_data(as_text=True)
    assert "ann@example.com" in html
    assert 'action="/account/password"' in html and 'action="/account/delete"' in html
    assert (
        'autocomplete="current-password"' in html
        and 'autocomplete="new-password"' in html
    )


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, verify=None):
    return post(
        client,
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "verify": new if verify is None else verify,
        },
        follow_redirects=True,
    )


def test_change_password_ends_other_sessions_but_keeps_this_one(app, client, logged_in):
    other = app.test_client()
    AuthActions(other).login(remember=True)
    assert other.get("/").status_code == 200

    response = change_password(client)
    assert any(c == "success" for c, _ in flashes(response))
    with app.app_context():
        assert verify_password(stored_hash(app), NEW_PASSWORD)
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    other.delete_cookie("flicklist_session")
    assert other.get("/").status_code == 302
    assert AuthActions(other).login(password=PASSWORD).status_code == 200
    assert AuthActions(other).login(password=NEW_PASSWORD).status_code == 303


def test_change_password_refusals(app, logged_in):
    before = stored_hash(app)
    assert "not correct" in flash_text(
        change_password(logged_in, current="wrong password")
    )
    assert "match" in flash_text(change_password(logged_in, verify="something else"))
    assert "8 to 128" in flash_text(change_password(logged_in, new="short"))
    assert stored_hash(app) == before


def test_delete_account_removes_user_and_movies(app, client, logged_in, user_id):
    create_movie(app, user_id, "Alien", 1979, viewings=[None])
    response = post(
        client, "/account/delete", {"password": PASSWORD}, follow_redirects=True
    )
    assert "deleted" in flash_text(response)
    with app.app_context():
        for model in (User, Movie, Viewing, UserSession):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    assert client.get("/").status_code == 302


def test_delete_account_with_wrong_password_deletes_nothing(
    app, client, logged_in, user_id
):
    create_movie(app, user_id, "Alien", 1979)
    response = post(
        client,
        "/account/delete",
        {"password": "not my password"},
        follow_redirects=True,
    )
    assert "Nothing was deleted" in flash_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Movie.id))) == 1
    assert client.get("/").status_code == 200


def test_sign_out_other_sessions(app, client, logged_in):
    other = app.test_client()
    AuthActions(other).login()
    assert "this session" in client.get("/account").get_data(as_text=True)
    response = post(
        client,
        "/account/sessions/others/delete",
        {"confirm_password": PASSWORD},
        follow_redirects=True,
    )
    assert "Signed out 1 other session." in flash_text(response)
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 200
