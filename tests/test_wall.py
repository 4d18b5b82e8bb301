"""The login wall: every page but a few public ones sends visitors to log in."""

import pytest

from tests.helpers import csrf_token, flash_text

PROTECTED_PAGES = [
    "/",
    "/watched",
    "/account",
    "/movies/1",
    "/watched?sort=title&page=2",
]
PUBLIC_PAGES = ["/login", "/register", "/healthz", "/static/style.css", "/favicon.ico"]


@pytest.mark.parametrize("path", PROTECTED_PAGES)
def test_anonymous_visitor_is_sent_to_login_with_next(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    page = client.get(response.headers["Location"])
    assert "log in" in flash_text(page).lower()


def test_after_logging_in_the_visitor_lands_where_they_were_going(
    client, auth, user_id
):
    location = client.get("/watched?sort=title").headers["Location"]
    response = client.post(
        location,
        data={
            "csrf_token": csrf_token(client, location),
            "email": "ann@example.com",
            "password": "correct horse battery",
        },
    )
    assert response.headers["Location"] == "/watched?sort=title"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_need_no_login(client, path):
    with client.get(path) as response:
        assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/movies",
        "/movies/1/watched",
        "/movies/1/unwatched",
        "/movies/1/rating",
        "/movies/1/delete",
        "/account/password",
        "/account/delete",
        "/logout",
    ],
)
def test_anonymous_posts_change_nothing(client, path):
    token = csrf_token(client, "/login")
    response = client.post(path, data={"csrf_token": token, "title": "x"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
