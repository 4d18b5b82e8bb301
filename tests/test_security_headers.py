"""Response headers, error pages, CSRF and debug: on every page, errors included."""

import re

import pytest
import sqlalchemy as sa
from flask import abort

from config import DevelopmentConfig
from flicklist import create_app
from flicklist.extensions import db
from flicklist.models import UserSession
from tests.helpers import (
    HTTPS,
    PASSWORD,
    create_movie,
    csrf_token,
    make_production_app,
    post,
)

HTTP = "http://localhost"
YEAR = 365 * 24 * 3600


def assert_security_headers(response) -> None:
    headers = response.headers
    csp = [part.strip() for part in headers["Content-Security-Policy"].split(";")]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Flask-WTF's https referer check needs the Referer on same-origin POSTs.
    assert headers["Referrer-Policy"] in (
        "strict-origin-when-cross-origin",
        "same-origin",
    )


def assert_site_error_page(response, status: int) -> None:
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f"Error {status}" in html and "</html>" in html
    assert "Traceback" not in html and "werkzeug" not in html.lower()
    assert_security_headers(response)


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
    assert_site_error_page(logged_in.get("/no/such/page"), 404)
    assert_site_error_page(logged_in.get("/movies/99999999999999999999"), 404)
    assert_site_error_page(logged_in.get("/logout"), 405)
    big = {"csrf_token": csrf_token(logged_in), "title": "x" * (2 * 1024 * 1024)}
    assert_site_error_page(logged_in.post("/movies", data=big), 413)
    response = logged_in.get("/broken-for-test")
    assert_site_error_page(response, 500)
    assert "hidden detail" not in response.get_data(as_text=True)


def test_an_anonymous_413_is_the_site_page_too(client):
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": "x" * (3 * 1024 * 1024)}
    assert_site_error_page(client.post("/login", data=data), 413)


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.I)


def test_pages_carry_no_inline_script_or_style(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    paths = ["/", "/watched", f"/movies/{movie_id}", "/account", "/nowhere"]
    for path in paths:
        response = logged_in.get(path)
        assert_security_headers(response)
        html = response.get_data(as_text=True)
        assert not INLINE.search(html), (path, INLINE.search(html))
    anonymous = app.test_client()
    for path in ("/login", "/register"):
        html = anonymous.get(path).get_data(as_text=True)
        assert not INLINE.search(html), path


def test_hsts_only_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    response = client.get("/login", base_url=HTTPS)
    hsts = response.headers["Strict-Transport-Security"]
    assert f"max-age={YEAR}" in hsts and "includeSubDomains" in hsts
    # Error pages too.
    missing = client.get("/nowhere", base_url=HTTPS)
    assert missing.status_code == 404
    assert missing.headers["Strict-Transport-Security"] == hsts
    # Without a trusted proxy, a client's X-Forwarded-Proto changes nothing.
    spoofed = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers


def test_hsts_behind_the_production_proxy(database_url, tmp_path):
    app = make_production_app(database_url)
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    # The proxy terminates TLS and says so in X-Forwarded-Proto (one trusted hop).
    proxied = client.get(
        "/login", base_url=HTTP, headers={"X-Forwarded-Proto": "https"}
    )
    assert f"max-age={YEAR}" in proxied.headers["Strict-Transport-Security"]
    plain = client.get("/login", base_url=HTTP)
    assert "Strict-Transport-Security" not in plain.headers
    with app.app_context():
        db.engine.dispose()


def test_login_needs_a_csrf_token_and_the_400_offers_to_try_again(app, client, user_id):
    data = {"email": "ann@example.com", "password": PASSWORD}
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


def test_logged_in_pages_are_never_cached(logged_in):
    for path in ("/", "/watched", "/account", "/no/such/page"):
        assert logged_in.get(path).headers["Cache-Control"] == "no-store"
    response = post(logged_in, "/movies", {"title": "Alien"})
    assert response.headers["Cache-Control"] == "no-store"


def test_debug_stays_off_in_production_whatever_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    url = f"sqlite:///{tmp_path}/db.sqlite"
    # Development honours FLASK_DEBUG (so this test would notice it being ignored)...
    development = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": url})
    assert development.debug
    # ...production never turns the debugger or exception propagation on.
    assert make_production_app(url).debug is False


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
