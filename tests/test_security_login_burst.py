"""Bursts of wrong passwords against real gunicorn: the login limit stays exact.

The review sent 40 simultaneous guesses and 16 (one process, 8 threads) or 18
(nine workers sharing Redis) were checked against the hash, with a limit of 10.
Every guess here answers 200 (checked, wrong) or 429 (refused before the hash),
so the 200s count the hash checks.
"""

import http.client
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.servers import (
    REDIS_URL,
    Browser,
    Gunicorn,
    app_environment,
    gunicorn_binary,
    in_parallel,
    redis_answers,
    release,
    require,
)

pytestmark = pytest.mark.slow

GUESSES = 40
LIMIT = 10  # FLASK_LOGIN_RATE_LIMIT's default, "10 per minute"


@pytest.fixture
def database_file(tmp_path) -> str:
    require(gunicorn_binary(), "gunicorn is not installed")
    url = f"sqlite:///{tmp_path}/flicklist.sqlite"
    release(url)
    return url


@pytest.fixture
def key_prefix() -> Iterator[str]:
    import redis

    require(redis_answers(), f"Redis is not reachable at {REDIS_URL}")
    prefix = f"flicklist-test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def default_server(database_url: str, log, **settings: str) -> Gunicorn:
    """`gunicorn wsgi:app` with the shipped defaults: limits on, argon2's real cost."""
    env = app_environment(database_url)
    for name in ("GUNICORN_WORKERS", "FLASK_ARGON2_TIME_COST"):
        del env[name]
    del env["FLASK_ARGON2_MEMORY_COST_KIB"]
    return Gunicorn({**env, **settings}, log)


def burst(port: int, guesses: list[tuple[str, str]]) -> Counter:
    """Every (email, client address) guess sent at the same moment; their statuses.

    Each guess is a browser of its own (cookie and CSRF token fetched first), and
    its address reaches the app through X-Forwarded-For, as from the one trusted
    proxy that production expects.
    """
    prepared = []
    for email, address in guesses:
        browser = Browser(port)
        prepared.append((browser, browser.csrf_token("/login"), email, address))
    start = threading.Barrier(len(prepared))

    def guess(item) -> int:
        browser, token, email, address = item
        body = urlencode(
            {"csrf_token": token, "email": email, "password": "wrong password"}
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items()),
            "X-Forwarded-For": address,
        }
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            start.wait(timeout=30)
            connection.request("POST", "/login", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    return Counter(in_parallel(guess, prepared))


def assert_exact(statuses: Counter) -> None:
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] == LIMIT, statuses


def one_account_from_one_address(port: int) -> Counter:
    return burst(port, [("ann@example.com", "203.0.113.7")] * GUESSES)


def one_account_from_many_addresses(port: int) -> Counter:
    guesses = [("ann@example.com", f"198.51.100.{n}") for n in range(GUESSES)]
    return burst(port, guesses)


def many_accounts_from_one_address(port: int) -> Counter:
    guesses = [(f"user{n}@example.com", "203.0.113.9") for n in range(GUESSES)]
    return burst(port, guesses)


BURSTS = [
    one_account_from_one_address,
    one_account_from_many_addresses,
    many_accounts_from_one_address,
]


@pytest.mark.parametrize("attack", BURSTS)
def test_a_burst_on_the_default_server_checks_at_most_the_limit(
    tmp_path, database_file, attack
):
    # One process with 8 threads, counters in memory: `gunicorn wsgi:app`.
    with default_server(database_file, tmp_path / "gunicorn.log") as server:
        assert Browser(server.port).register("ann@example.com").status == 303
        assert_exact(attack(server.port))


@pytest.mark.parametrize("attack", BURSTS)
def test_a_burst_on_four_workers_sharing_redis_checks_at_most_the_limit(
    tmp_path, database_file, key_prefix, attack
):
    settings = {
        "FLASK_RATELIMIT_STORAGE_URI": REDIS_URL,
        "FLASK_RATELIMIT_KEY_PREFIX": key_prefix,
        "GUNICORN_WORKERS": "4",
    }
    with default_server(database_file, tmp_path / "gunicorn.log", **settings) as server:
        assert Browser(server.port).register("ann@example.com").status == 303
        assert_exact(attack(server.port))


def test_successful_logins_give_their_slot_back_on_a_real_server(
    tmp_path, database_file
):
    with default_server(database_file, tmp_path / "gunicorn.log") as server:
        assert Browser(server.port).register("ann@example.com").status == 303
        for _ in range(LIMIT + 2):
            assert Browser(server.port).login("ann@example.com").status == 303
        assert_exact(one_account_from_one_address(server.port))


def test_a_login_with_the_limits_off(tmp_path, database_file):
    env = {"FLASK_RATELIMIT_ENABLED": "false"}
    with default_server(database_file, tmp_path / "gunicorn.log", **env) as server:
        assert Browser(server.port).register("ann@example.com").status == 303
        assert Browser(server.port).login("ann@example.com").status == 303
        statuses = one_account_from_one_address(server.port)
    assert statuses == Counter({200: GUESSES})
