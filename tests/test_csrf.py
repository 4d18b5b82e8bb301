"""CSRF: every form needs the token of its own session; the 400 page says why."""

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, UserSession
from tests.helpers import PASSWORD, assert_site_error_page, csrf_token


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, logged_in):
    response = logged_in.post("/movies", data={"title": "Alien"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    response = logged_in.post(
        "/movies", data={"title": "Alien", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Movie.id))) == 0


def test_login_needs_a_csrf_token_and_the_400_offers_to_try_again(app, client, user_id):
    data = {"email": "ann@example.com", "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 400
    response = client.post(
        "/login", data=data, headers={"Referer": "http://localhost/login"}
    )
    assert_site_error_page(response, 400)
    html = response.get_data(as_text=True)
    assert "expired" in html and 'href="/login"' in html and "Try again" in html
    forged = client.post("/login", data=data | {"csrf_token": "forged"})
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0
    assert client.get("/").status_code == 302


def test_csrf_page_never_offers_a_foreign_retry_link(client):
    response = client.post(
        "/login", data={}, headers={"Referer": "http://evil.example/login"}
    )
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_token_from_another_session_is_refused(app, logged_in):
    other = app.test_client()
    token = csrf_token(other, "/login")
    response = logged_in.post("/movies", data={"csrf_token": token, "title": "Alien"})
    assert response.status_code == 400
