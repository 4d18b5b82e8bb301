"""Gunicorn workers racing on one database: SQLite with 4 workers, PostgreSQL."""

import threading

import pytest
import sqlalchemy as sa

from flicklist.models import User
from tests.servers import (
    Browser,
    Gunicorn,
    add_movies,
    app_environment,
    count_rows,
    gunicorn_binary,
    in_parallel,
    registered_users,
    released_database,
    require,
    stored_titles,
)

pytestmark = pytest.mark.slow

RACERS = 16


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """One gunicorn with 4 workers, on a database built by the release step."""
    require(gunicorn_binary(), "gunicorn is not installed")
    directory = tmp_path_factory.mktemp(request.param)
    url = released_database(request.param, directory)
    env = app_environment(
        url, GUNICORN_WORKERS="4", FLASK_RATELIMIT_STORAGE_URI="memory://"
    )
    gunicorn = Gunicorn(env, directory / "gunicorn.log").start()
    gunicorn.database_url = url
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


def at_once(count: int, prepare, act) -> list:
    """Prepare each racer, then let them all act at the same moment."""
    start = threading.Barrier(count, timeout=60)

    def racer(number: int):
        prepared = prepare(number)
        start.wait()
        return act(prepared)

    return in_parallel(racer, list(range(count)))


def test_simultaneous_registrations_of_one_email_make_one_account(server):
    def prepare(number: int):
        browser = Browser(server.port)
        # Half of them in capitals: one address, whatever the case.
        email = "race@example.com" if number % 2 else "RACE@Example.com"
        return browser, email, browser.csrf_token("/register")

    def act(prepared):
        browser, email, token = prepared
        fields = {"email": email, "password": "a long password", "verify": ""}
        fields["verify"] = fields["password"]
        return browser.post("/register", fields, token)

    responses = at_once(RACERS, prepare, act)
    statuses = sorted(response.status for response in responses)
    assert statuses == [200] * (RACERS - 1) + [303]
    for response in responses:
        if response.status == 200:
            assert any("already" in text for _, text in response.flashes())
    users = sa.select(sa.func.count()).select_from(User)
    assert (
        count_rows(server.database_url, users.where(User.email == "race@example.com"))
        == 1
    )


def test_simultaneous_adds_of_one_title_make_one_movie(server):
    owner = Browser(server.port)
    assert owner.register("samefilm@example.com").status == 303

    def prepare(_number: int):
        browser = Browser(server.port)
        assert browser.login("samefilm@example.com").status == 303
        return browser, browser.csrf_token("/")

    def act(prepared):
        browser, token = prepared
        response = browser.post("/movies", {"title": "Heat", "year": "1995"}, token)
        return response, browser.get("/")

    results = at_once(RACERS, prepare, act)
    assert [post.status for post, _ in results] == [303] * RACERS
    messages = [text for _, page in results for _, text in page.flashes()]
    assert sum("Added" in text for text in messages) == 1
    assert sum("already" in text for text in messages) == RACERS - 1
    assert stored_titles(server.database_url, "samefilm@example.com") == ["Heat"]


def test_concurrent_adds_lose_nothing(server):
    browsers = registered_users(server.port, 8, "busy")
    titles = [[f"Busy {n}-{i}" for i in range(25)] for n in range(8)]
    runs = in_parallel(lambda n: add_movies(browsers[n], titles[n]), list(range(8)))
    assert [a for run in runs for a in run if a.status != 303] == []
    for number in range(8):
        stored = stored_titles(server.database_url, f"busy{number}@example.com")
        assert sorted(stored) == sorted(titles[number])
