"""The Host header is the client's: no redirect or link is built from a forged one.

Relative redirects, FLASK_TRUSTED_HOSTS (a foreign host gets the site's own 400
page), FLASK_BASE_URL for links that leave the site, and nginx's default server
that refuses names it does not serve.
"""

import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from flicklist.extensions import db
from flicklist.settings import SettingsError
from tests.helpers import (
    HTTPS,
    PASSWORD,
    assert_site_error_page,
    csrf_token,
    https_login,
    https_token,
    make_app,
    make_production_app,
)
from tests.servers import (
    PORTS,
    ROOT,
    free_port,
    make_certificate,
    nginx_binary,
    nginx_command,
    require,
    standalone_nginx_config,
)

EVIL = "evil.example"
SHARE_URL = re.compile(r'id="share-url"[^>]*value="([^"]+)"')


@pytest.fixture
def build() -> Iterator:
    """make_app or make_production_app, whose connections close after the test."""
    apps: list[Flask] = []

    def build(factory, database_url: str, **overrides) -> Flask:
        apps.append(factory(database_url, **overrides))
        return apps[-1]

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("path", ["/movies//1", "//watched"])
def test_redirects_never_name_the_requests_host(app, path):
    """Werkzeug's own redirects (merged slashes, a stray trailing slash) were
    absolute URLs on whatever Host the client sent."""
    response = app.test_client().get(path, base_url=f"http://{EVIL}")
    assert response.status_code in (301, 302, 303, 307, 308), response.status_code
    location = response.headers["Location"]
    assert EVIL not in location and location.startswith("/")
    assert not location.startswith("//")


def test_redirects_behind_the_proxy_never_name_the_forwarded_host(build, database_url):
    app = build(make_production_app, database_url)
    response = app.test_client().get(
        "/movies//1", base_url=HTTPS, headers={"X-Forwarded-Host": EVIL}
    )
    assert response.status_code == 308
    assert response.headers["Location"] == "/movies/1"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/login", "/", "/no/such/page", "/healthz"])
def test_a_foreign_host_gets_the_sites_400_page(build, database_url, method, path):
    """With TRUSTED_HOSTS set, Flask builds no URL adapter for another host; the
    error page used to fail on url_for and answer a bare 500."""
    app = build(make_app, database_url, TRUSTED_HOSTS=["films.example.org"])
    client = app.test_client()
    response = client.open(path, method=method, base_url=f"http://{EVIL}")
    assert_site_error_page(response, 400)
    assert EVIL not in response.get_data(as_text=True)
    forwarded = client.open(
        path,
        method=method,
        base_url="http://films.example.org",
        headers={"Host": f"{EVIL}:443"},
    )
    assert_site_error_page(forwarded, 400)
    trusted = client.get("/login", base_url="http://films.example.org:8000")
    assert trusted.status_code == 200


def test_a_foreign_forwarded_host_gets_400_behind_the_proxy(build, database_url):
    app = build(make_production_app, database_url, TRUSTED_HOSTS=["films.example.org"])
    client = app.test_client()
    response = client.get(
        "/login",
        base_url="https://films.example.org",
        headers={"X-Forwarded-Host": EVIL},
    )
    assert_site_error_page(response, 400)


def test_trusted_hosts_may_be_given_as_names_separated_by_commas(
    build, monkeypatch, database_url
):
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", "films.example.org, www.example.org")
    app = build(make_app, database_url)
    assert app.config["TRUSTED_HOSTS"] == ["films.example.org", "www.example.org"]
    client = app.test_client()
    assert client.get("/login", base_url="http://www.example.org").status_code == 200
    assert client.get("/login", base_url=f"http://{EVIL}").status_code == 400


def test_the_share_link_comes_from_base_url_not_the_forwarded_host(
    build, database_url, user_id
):
    """Behind the proxy, X-Forwarded-Host made the share link; FLASK_BASE_URL
    names the site instead."""
    app = build(
        make_production_app, database_url, BASE_URL="https://films.example.org/"
    )
    client = app.test_client()
    assert https_login(client).status_code == 303
    token = https_token(client, "/account")
    response = client.post(
        "/account/share",
        data={"csrf_token": token},
        base_url=HTTPS,
        headers={"X-Forwarded-Host": EVIL, "Referer": f"https://{EVIL}/account"},
    )
    assert response.status_code == 303
    page = client.get("/account", base_url=HTTPS).get_data(as_text=True)
    url = SHARE_URL.search(page).group(1)
    assert url.startswith("https://films.example.org/share/"), url
    assert client.get(url.removeprefix("https://films.example.org")).status_code == 200


def test_without_base_url_the_share_link_names_the_trusted_host(
    build, database_url, user_id
):
    app = build(make_app, database_url, TRUSTED_HOSTS=["films.example.org"])
    client = app.test_client()
    site = "http://films.example.org"
    token = csrf_token(client, site + "/login")
    login = {"csrf_token": token, "email": "ann@example.com"}
    login["password"] = PASSWORD
    assert client.post("/login", data=login, base_url=site).status_code == 303
    token = csrf_token(client, site + "/account")
    client.post("/account/share", data={"csrf_token": token}, base_url=site)
    page = client.get("/account", base_url=site).get_data(as_text=True)
    assert SHARE_URL.search(page).group(1).startswith(site + "/share/")


@pytest.mark.parametrize(
    "value", ["films.example.org", "ftp://films.example.org", "https://x.org/?a=1"]
)
def test_a_base_url_that_is_no_site_address_stops_the_app(database_url, value):
    with pytest.raises(SettingsError, match="FLASK_BASE_URL"):
        make_app(database_url, BASE_URL=value)


def test_the_favicon_keeps_its_cache_header(client):
    """set_security_headers overwrote it with no-store."""
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=86400" in cache and "no-store" not in cache
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# The shipped nginx site, run for real


def shipped_site(directory, http_port: int, https_port: int) -> str:
    """deploy/nginx/flicklist.conf with the operator's paths and ports moved here
    (and IPv4 only: the test machine may have no IPv6)."""
    site = (ROOT / "deploy" / "nginx" / "flicklist.conf").read_text()
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    return (
        site.replace("listen 80", f"listen 127.0.0.1:{http_port}")
        .replace("listen 443", f"listen 127.0.0.1:{https_port}")
        .replace("/etc/letsencrypt/live/flicklist.example.org/", f"{directory}/")
        .replace(
            "/etc/nginx/snippets/flicklist-locations.conf",
            str(ROOT / "deploy" / "nginx" / "flicklist-locations.conf"),
        )
        .replace("/var/log/nginx/", f"{directory}/")
        .replace("/srv/flicklist/app/flicklist", str(ROOT / "flicklist"))
        .replace("127.0.0.1:8001", f"127.0.0.1:{free_port(PORTS)}")
        .replace("127.0.0.1:8002", f"127.0.0.1:{free_port(PORTS)}")
    )


def plain_answer(port: int, host: str) -> bytes:
    """What nginx sends back to a request for `host`: b"" when it closes at once."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        return connection.recv(4096)


def tls_answer(port: int, server_name: str) -> bytes | None:
    """The start of nginx's answer over TLS with that name (SNI and Host), or
    None when it refuses the handshake."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            connection = context.wrap_socket(raw, server_hostname=server_name)
        except ssl.SSLError:
            return None
        with connection:
            request = f"GET /static/style.css HTTP/1.1\r\nHost: {server_name}\r\n\r\n"
            connection.sendall(request.encode())
            return connection.recv(4096)


@pytest.mark.slow
def test_the_shipped_nginx_site_refuses_unknown_hosts(tmp_path):
    require(nginx_binary(), "nginx is not installed (apt-get install nginx)")
    require(shutil.which("openssl"), "openssl is not installed")
    make_certificate(tmp_path)
    http_port, https_port = free_port(), free_port()
    config = standalone_nginx_config(
        tmp_path,
        shipped_site(tmp_path, http_port, https_port),
        http_extra="types { text/css css; } ",
    )
    process = subprocess.Popen(
        nginx_command(config, "-g", "daemon off;"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while tls_port_closed(https_port) and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "error.log").read_text()
            time.sleep(0.05)
        # The site's own name: http goes to https, https serves the site.
        assert plain_answer(http_port, "flicklist.example.org").startswith(
            b"HTTP/1.1 301"
        )
        site = tls_answer(https_port, "flicklist.example.org")
        assert site.startswith(b"HTTP/1.1 200"), site
        # Any other name or an address: no answer at all, nothing reaches the app.
        for host in (EVIL, "127.0.0.1", f"127.0.0.1:{http_port}"):
            assert plain_answer(http_port, host) == b"", host
        assert tls_answer(https_port, EVIL) is None
    finally:
        process.terminate()
        process.wait(timeout=15)


def tls_port_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0
