"""One function decides whether a `next` is safe; it is fed what attackers try."""

import pytest

from flicklist.security import is_safe_next
from tests.helpers import PASSWORD, AuthActions, create_movie, csrf_token, post

UNSAFE = [
    "//evil.example",
    "///evil.example",
    "////evil.example/path",
    "https://evil.example",
    "http:evil.example",
    "HTTPS://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "/ /evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "//ann@evil.example",
    "https://localhost@evil.example/",
    "//localhost%40evil.example",
    "/\x00//evil.example",
    "/\r\nLocation: https://evil.example",
    "/%0d%0aSet-Cookie:%20stolen=1",
    "/\x7f/evil.example",
    "http://localhost/watched",
    "",
    "/" + "a" * 3000,
]
SAFE = [
    "/",
    "/watched",
    "/watched?sort=title&page=2",
    "/movies/1",
    "/javascript:alert(1)",
    "/account#sessions",
]


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets_are_refused(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_accepted(target):
    assert is_safe_next(target)


def test_none_is_refused():
    assert not is_safe_next(None)


def login_with_next(app, target: str, where: str):
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": "ann@example.com", "password": PASSWORD}
    if where == "query":
        return client.post("/login", data=data, query_string={"next": target})
    return client.post("/login", data=data | {"next": target})


@pytest.mark.parametrize("where", ["query", "form"])
def test_login_goes_home_for_every_unsafe_next(app, user_id, where):
    for target in UNSAFE:
        response = login_with_next(app, target, where)
        assert response.status_code == 303, repr(target)
        assert response.headers["Location"] == "/", repr(target)


@pytest.mark.parametrize("where", ["query", "form"])
def test_login_follows_every_safe_next(app, user_id, where):
    for target in SAFE:
        response = login_with_next(app, target, where)
        assert response.headers["Location"] == target, repr(target)


def test_a_logged_in_visitor_logging_in_again_is_never_sent_away(app, user_id):
    client = app.test_client()
    auth = AuthActions(client)
    auth.login()
    for target in UNSAFE:
        assert client.get("/login", query_string={"next": target}).status_code == 200
        response = client.post(
            "/login",
            query_string={"next": target},
            data={
                "csrf_token": csrf_token(client, "/login"),
                "email": "ann@example.com",
                "password": PASSWORD,
            },
        )
        assert response.headers["Location"] == "/", repr(target)


def test_movie_actions_return_only_to_a_safe_next(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    for target in UNSAFE:
        response = post(logged_in, f"/movies/{movie_id}/unwatched", {"next": target})
        assert response.status_code == 303, repr(target)
        assert response.headers["Location"] == "/", repr(target)
    response = post(logged_in, f"/movies/{movie_id}/unwatched", {"next": "/watched"})
    assert response.headers["Location"] == "/watched"
