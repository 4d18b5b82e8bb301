"""Error pages: the site's own page for every status, with the usual headers."""

import pytest
from flask import abort

from tests.helpers import assert_site_error_page, csrf_token


def test_error_pages_are_the_sites_own_with_the_headers(app, client, auth, user_id):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/forbidden-for-test")
    def forbidden():
        abort(403)

    @app.get("/broken-for-test")
    def broken():
        raise RuntimeError("hidden detail")

    logged_in = client
    auth.login()
    assert_site_error_page(logged_in.post("/movies", data={"title": "x"}), 400)
    assert_site_error_page(logged_in.get("/forbidden-for-test"), 403)
    missing = logged_in.get("/no/such/page")
    assert_site_error_page(missing, 404)
    assert "Page not found" in missing.get_data(as_text=True)
    assert_site_error_page(logged_in.get("/movies/99999999999999999999"), 404)
    assert_site_error_page(logged_in.get("/logout"), 405)
    # A request body over the limit (2 MiB) is refused before it is read.
    big = {"csrf_token": csrf_token(logged_in), "title": "x" * (2 * 1024 * 1024)}
    too_large = logged_in.post("/movies", data=big)
    assert_site_error_page(too_large, 413)
    assert "Too large" in too_large.get_data(as_text=True)
    response = logged_in.get("/broken-for-test")
    assert_site_error_page(response, 500)
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "hidden detail" not in html


def test_a_logged_in_visitor_keeps_the_navigation_on_error_pages(logged_in):
    # The navigation shows the logged-in email and the logout button, as on every
    # page, when the database answers (a GET may load the user for it).
    for path in ("/no/such/page", "/movies/123456"):
        page = logged_in.get(path)
        assert page.status_code == 404
        html = page.get_data(as_text=True)
        assert "ann@example.com" in html
        assert "Log out" in html


def test_an_anonymous_413_is_the_site_page_too(client):
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": "x" * (3 * 1024 * 1024)}
    assert_site_error_page(client.post("/login", data=data), 413)


def test_trace_and_unlisted_methods_are_refused(logged_in):
    for method in ("TRACE", "PUT", "DELETE", "PATCH"):
        response = logged_in.open("/", method=method)
        assert_site_error_page(response, 405)


@pytest.mark.parametrize(
    "path",
    [
        "/.git/config",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
        "/static/..%2fconfig.py",
        "/instance/secret_key",
        "/static/",
    ],
)
def test_no_source_secrets_or_listings_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "SECRET" not in response.get_data(as_text=True)
