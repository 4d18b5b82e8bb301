"""The login limit holds across gunicorn processes when the counters live in Redis."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade

from flicklist.extensions import db
from tests.helpers import CSRF_PATTERN, make_app
from tests.servers import (
    REDIS_URL,
    Gunicorn,
    app_environment,
    redis_answers,
    require,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def key_prefix() -> Iterator[str]:
    import redis

    require(redis_answers(), f"Redis is not reachable at {REDIS_URL}")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
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
    # `gunicorn wsgi:app` with two workers each, as deployed.
    env = app_environment(
        database_file,
        FLASK_RATELIMIT_STORAGE_URI=REDIS_URL,
        FLASK_RATELIMIT_KEY_PREFIX=key_prefix,
        FLASK_LOGIN_RATE_LIMIT="4 per minute",
        GUNICORN_WORKERS="2",
    )
    with (
        Gunicorn(env, tmp_path / "first.log") as first,
        Gunicorn(env, tmp_path / "second.log") as second,
    ):
        # Four processes (two servers of two workers) see two failures each at most.
        for number, server in enumerate([first, second, first, second]):
            status, _ = failed_login(server.url, f"nobody{number}@example.com")
            assert status == 200
        for server in (first, second):
            status, retry_after = failed_login(server.url, "nobody9@example.com")
            assert status == 429
            assert retry_after is not None and int(retry_after) > 0
