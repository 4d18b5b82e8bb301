"""nginx in front of two gunicorn servers on one PostgreSQL and one Redis."""

import http.client
import json
import re
import secrets
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, TEST_DATABASE_URL
from tests.servers import (
    REDIS_URL,
    Browser,
    Gunicorn,
    Nginx,
    add_movies,
    app_environment,
    gunicorn_binary,
    in_parallel,
    nginx_binary,
    redis_answers,
    registered_users,
    release,
    require,
    reset_postgresql,
    stored_titles,
)

pytestmark = pytest.mark.slow

USERS, MOVIES_EACH = 8, 25


class Cluster:
    """Two gunicorn servers (A and B) and nginx with both in its upstream."""

    def __init__(self, directory: Path, database_url: str):
        self.database_url = database_url
        env = app_environment(
            database_url,
            FLASK_RATELIMIT_STORAGE_URI=REDIS_URL,
            FLASK_LOGIN_RATE_LIMIT="3 per minute",
        )
        self.a = Gunicorn(env, directory / "a.log")
        self.b = Gunicorn(env, directory / "b.log")
        self.nginx = Nginx(directory / "nginx", [self.a.port, self.b.port])

    def start(self) -> None:
        self.a.start()
        self.b.start()
        self.nginx.start()

    def stop(self) -> None:
        self.nginx.stop()
        self.a.stop()
        self.b.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    require(TEST_DATABASE_URL, "TEST_DATABASE_URL is not set (PostgreSQL needed)")
    require(gunicorn_binary(), "gunicorn is not installed")
    require(nginx_binary(), "nginx is not installed (apt-get install nginx)")
    require(redis_answers(), f"Redis does not answer at {REDIS_URL}")
    reset_postgresql(TEST_DATABASE_URL)
    release(TEST_DATABASE_URL)
    cluster = Cluster(tmp_path_factory.mktemp("cluster"), TEST_DATABASE_URL)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def titles_for(number: int) -> list[str]:
    return [f"Film {number}-{index}" for index in range(MOVIES_EACH)]


def test_a_user_registered_on_one_server_is_logged_in_on_the_other(cluster):
    on_a = Browser(cluster.a.port)
    assert on_a.register("cross@example.com").status == 303
    on_b = Browser(cluster.b.port)
    on_b.cookies = dict(on_a.cookies)
    page = on_b.get("/")
    assert page.status == 200
    assert "cross@example.com" in page.text
    # Logging out on B ends the session on A too (one session table).
    assert on_b.post("/logout", {}).status == 303
    on_a_again = on_a.get("/")
    assert on_a_again.status == 302
    assert "/login" in on_a_again.headers["Location"]


def test_failed_logins_are_counted_across_servers(cluster):
    assert Browser(cluster.a.port).register("counted@example.com").status == 303
    a, b = Browser(cluster.a.port), Browser(cluster.b.port)
    for browser in (a, b, a):
        response = browser.login("counted@example.com", "wrong password!")
        assert response.status == 200
        assert ("error", "Invalid email or password.") in response.flashes()
    # B has seen one failure itself; the limit of 3 holds because Redis saw three.
    assert b.login("counted@example.com", PASSWORD).status == 429
    assert Browser(cluster.a.port).login("counted@example.com").status == 429


def test_static_files_come_from_nginx_with_long_cache(cluster):
    browser = Browser(cluster.nginx.port)
    login_page = browser.get("/login")
    assert login_page.headers["Server"].startswith("nginx")
    assert "/static/style.css?v=" in login_page.text
    css = browser.get("/static/style.css?v=1")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    cache_control = ", ".join(css.headers.get_all("Cache-Control"))
    assert "max-age=31536000" in cache_control
    assert "immutable" in cache_control
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    assert not css.headers.get("X-Upstream"), "served by gunicorn, not nginx"


def test_nginx_refuses_bodies_over_the_import_limit(cluster):
    connection = http.client.HTTPConnection("127.0.0.1", cluster.nginx.port, timeout=10)
    connection.putrequest("POST", "/import")
    connection.putheader("Content-Type", "text/csv")
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_healthz_through_nginx(cluster):
    response = Browser(cluster.nginx.port).get("/healthz")
    assert response.status == 200
    assert response.headers["X-Upstream"]


def test_eight_users_adding_at_once_through_nginx_lose_nothing(cluster):
    browsers = registered_users(cluster.nginx.port, USERS, "load")
    runs = in_parallel(
        lambda pair: add_movies(pair[1], titles_for(pair[0])),
        list(enumerate(browsers)),
    )
    answers = [answer for run in runs for answer in run]
    assert [a for a in answers if a.status != 303] == []
    upstreams = {answer.upstream for answer in answers}
    assert len(upstreams) == 2, f"both servers should share the load: {upstreams}"
    for number in range(USERS):
        stored = stored_titles(cluster.database_url, f"load{number}@example.com")
        assert sorted(stored) == sorted(titles_for(number))


def test_one_server_killed_mid_load(cluster):
    browsers = registered_users(cluster.nginx.port, USERS, "kill")
    killed_at: list[float] = []
    successes = threading.Semaphore(0)

    def kill_a_when_busy() -> None:
        for _ in range(40):
            successes.acquire(timeout=60)
        cluster.a.kill()
        killed_at.append(time.monotonic())

    def count(answer) -> None:
        if answer.status == 303:
            successes.release()

    killer = threading.Thread(target=kill_a_when_busy)
    killer.start()
    runs = in_parallel(
        lambda pair: add_movies(pair[1], titles_for(pair[0]), count),
        list(enumerate(browsers)),
    )
    killer.join(timeout=60)
    assert killed_at, "the kill never happened"
    answers = [answer for run in runs for answer in run]
    after = [answer for answer in answers if answer.started > killed_at[0]]
    assert len(after) >= 50
    # Requests after the kill: all answered, by B (last address nginx tried).
    b_address = f"127.0.0.1:{cluster.b.port}"
    assert [a for a in after if a.status != 303] == []
    assert {a.upstream.split(", ")[-1] for a in after} == {b_address}
    # Only requests in flight at the kill may have failed (nginx never resends a
    # POST that reached a server); everything that got its 303 is stored.
    for number in range(USERS):
        stored = set(stored_titles(cluster.database_url, f"kill{number}@example.com"))
        succeeded = {a.title for a in runs[number] if a.status == 303}
        assert succeeded <= stored
        assert len(succeeded) >= MOVIES_EACH - 2
    cluster.a.start()


def test_everything_stopped_and_started_again_keeps_data_and_sessions(cluster):
    browser = Browser(cluster.nginx.port)
    assert browser.register("restart@example.com").status == 303
    add_movies(browser, ["Before the restart", "Also before"])
    cluster.stop()
    cluster.start()
    page = browser.get("/")
    assert page.status == 200
    assert "restart@example.com" in page.text
    assert "Before the restart" in page.text and "Also before" in page.text
    assert add_movies(browser, ["After the restart"])[0].status == 303
    stored = stored_titles(cluster.database_url, "restart@example.com")
    assert sorted(stored) == ["After the restart", "Also before", "Before the restart"]
    # Earlier users' data survived too.
    assert len(stored_titles(cluster.database_url, "load0@example.com")) == MOVIES_EACH


def test_the_app_sees_the_client_address_nginx_saw(cluster):
    """A forged X-Forwarded-For is not believed: ProxyFix trusts nginx's hop only."""
    probe = f"/probe-{secrets.token_hex(6)}"
    connection = http.client.HTTPConnection("127.0.0.1", cluster.nginx.port, timeout=10)
    connection.request(
        "GET", probe, headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "x"}
    )
    assert connection.getresponse().status in (302, 404)
    connection.close()
    lines = (cluster.a.log() + cluster.b.log()).splitlines()
    records = [json.loads(line) for line in lines if probe in line]
    assert len(records) == 1
    assert records[0]["ip"] == "127.0.0.1"
    # nginx's own request id replaces the client's, so both logs can be matched.
    assert re.fullmatch(r"[0-9a-f]{32}", records[0]["request_id"])
