"""Response headers: security, HSTS and caching, on every page, errors included."""

import re

from flicklist.extensions import db
from tests.helpers import (
    HTTPS,
    assert_security_headers,
    create_movie,
    make_production_app,
    post,
)

HTTP = "http://localhost"
YEAR = 365 * 24 * 3600


def test_security_headers_on_pages_and_errors(client, logged_in):
    for path in ("/", "/no-such-page", "/static/style.css"):
        with logged_in.get(path) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert logged_in.get("/").headers["Cache-Control"] == "no-store"


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
    app = make_production_app(database_url, instance_path=tmp_path / "instance")
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


def test_logged_in_pages_are_never_cached(logged_in):
    for path in ("/", "/watched", "/account", "/no/such/page"):
        assert logged_in.get(path).headers["Cache-Control"] == "no-store"
    response = post(logged_in, "/movies", {"title": "Alien"})
    assert response.headers["Cache-Control"] == "no-store"
