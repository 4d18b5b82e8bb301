"""The login limit holds across gunicorn processes when the counters live in Redis."""

import http.cookiejar
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade

from flicklist.extensions import db
from tests.conftest import CSRF_PATTERN, make_app
from tests.security_support import PORTS
from tests.servers import free_port

REDIS_URL = "redis://127.0.0.1:6379/1"
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def redis_client():
    """Redis on 127.0.0.1:6379 db 1; skipped when absent, but never in CI."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return client


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn at {base} did not answer: {log.read_text()}")


@pytest.fixture
def key_prefix() -> Iterator[str]:
    client = redis_client()
    prefix = f"flicklist-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def database_file(tmp_path) -> str:
    url = f"sqlite:///{tmp_path}/flicklist.sqlite"
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def start_server(tmp_path: Path, database_url: str, env: dict) -> tuple[str, object]:
    """`gunicorn wsgi:app` with two workers, as deployed."""
    port = free_port(PORTS)
    log = tmp_path / f"gunicorn-{port}.log"
    settings = {
        "SECRET_KEY": "s" * 64,
        "DATABASE_URL": database_url,
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
        **env,
    }
    # The shipped gunicorn.conf.py (preloading the app before the fork) is used.
    command = [sys.executable, "-m", "gunicorn", "--workers", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **settings},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server, log)
    except RuntimeError:
        server.kill()
        server.wait()
        raise
    return base, server


def failed_login(base: str, email: str) -> tuple[int, str | None]:
    """One browser: fetch the form, then post a wrong password."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base + "/login", timeout=10) as page:
        html = page.read().decode()
    match = CSRF_PATTERN.search(html)
    token = match.group(1) or match.group(2)
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": email, "password": "wrong password"}
    ).encode()
    try:
        with opener.open(base + "/login", data=body, timeout=10) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Retry-After")


def test_login_limit_is_shared_by_every_gunicorn_worker_through_redis(
    tmp_path, database_file, key_prefix
):
    env = {
        "FLASK_RATELIMIT_STORAGE_URI": REDIS_URL,
        "FLASK_RATELIMIT_KEY_PREFIX": key_prefix,
        "FLASK_LOGIN_RATE_LIMIT": "4 per minute",
    }
    servers = [start_server(tmp_path, database_file, env) for _ in range(2)]
    try:
        (first, _), (second, _) = servers
        # Four processes (two servers of two workers) see two failures each at most.
        for number, base in enumerate([first, second, first, second]):
            status, _ = failed_login(base, f"nobody{number}@example.com")
            assert status == 200
        for base in (first, second):
            status, retry_after = failed_login(base, "nobody9@example.com")
            assert status == 429
            assert retry_after is not None and int(retry_after) > 0
    finally:
        for _, server in servers:
            server.terminate()
            server.wait(timeout=30)
