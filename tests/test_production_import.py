"""The review's import bombs against a real `gunicorn wsgi:app` (issue 12, finding 1):
10 MiB of tiny rows, on SQLite and PostgreSQL. Each is answered in time, with
bounded worker memory, while another user logs in and adds a movie."""

import itertools
import threading
import time

import pytest

from tests.servers import (
    Browser,
    Gunicorn,
    app_environment,
    gunicorn_binary,
    released_database,
    require,
    rss_mib,
    stored_titles,
    worker_pids,
)

pytestmark = pytest.mark.slow

# The request limit for /import is 10 MiB; the multipart wrapping takes a little.
FILE_BYTES = 10 * 1024 * 1024 - 4096
WORKER_TIMEOUT_S = 30
MEMORY_GROWTH_MAX_MIB = 300


def duplicate_rows() -> bytes:
    """About 5 million repeats of one film: columns are found by name, so the title
    can come first and a row be two bytes."""
    header = b"Name,Date,Year,Letterboxd URI\n"
    return header + b"a\n" * ((FILE_BYTES - len(header)) // 2)


def distinct_rows() -> bytes:
    """About 1.7 million different films: every four-character name."""
    header = b"Name,Date,Year,Letterboxd URI\n"
    names = itertools.product("0123456789abcdefghijklmnopqrstuvwxyz", repeat=4)
    return header + "".join(f"{''.join(name)},\n" for name in names).encode()


def dated_rows() -> bytes:
    """The review's own shape: `2020-01-01,a,2000,x` to fill 10 MiB."""
    header = b"Date,Name,Year,Letterboxd URI\n"
    row = b"2020-01-01,a,2000,x\n"
    return header + row * ((FILE_BYTES - len(header)) // len(row))


def largest_allowed() -> bytes:
    """100,000 different films, the most one file may hold: all are written."""
    header = "Date,Name,Year,Letterboxd URI\n"
    rows = "".join(f"2020-01-01,Film {n},2000,x\n" for n in range(100_000))
    return (header + rows).encode()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """`gunicorn wsgi:app` with the shipped settings (2 sync workers)."""
    require(gunicorn_binary(), "gunicorn is not installed")
    directory = tmp_path_factory.mktemp(request.param)
    url = released_database(request.param, directory)
    env = app_environment(
        url,
        GUNICORN_WORKERS="2",
        GUNICORN_TIMEOUT=str(WORKER_TIMEOUT_S),
        FLASK_RATELIMIT_STORAGE_URI="memory://",
    )
    gunicorn = Gunicorn(env, directory / "gunicorn.log").start()
    gunicorn.database_url = url
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


class PeakMemory(threading.Thread):
    """Polls every worker's RSS; `growth` is the largest rise over its start."""

    def __init__(self, master):
        super().__init__(daemon=True)
        self.pids = worker_pids(master)
        self.before = {pid: rss_mib(pid) for pid in self.pids}
        self.peak = dict(self.before)
        self.running = True

    def run(self) -> None:
        while self.running:
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mib(pid))
            time.sleep(0.02)

    def stop(self) -> float:
        self.running = False
        self.join()
        return max(self.peak[pid] - self.before[pid] for pid in self.pids)


def warm_up(server, browser: Browser) -> None:
    """Every worker has served pages and an import before memory is measured."""
    for _ in range(6):
        assert browser.get("/").status == 200
        browser.upload(b"Date,Name,Year,Letterboxd URI\n", "watchlist.csv")


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (duplicate_rows, "watchlist.csv", "has more than 100,000 rows"),
        (distinct_rows, "watchlist.csv", "has more than 100,000 rows"),
        (dated_rows, "watchlist.csv", "has more than 100,000 rows"),
        pytest.param(
            largest_allowed,
            "watchlist.csv",
            "100000 added",
        ),
    ],
    ids=["5M-duplicates", "1.7M-distinct", "dated-rows", "100k-distinct"],
)
def test_an_import_bomb_is_answered_in_time_while_others_go_on(
    server, content, filename, expected
):
    body = content()
    tag = f"{content.__name__}-{time.monotonic_ns()}"
    attacker, other = Browser(server.port), Browser(server.port)
    assert attacker.register(f"bomb-{tag}@example.com").status == 303
    assert other.register(f"other-{tag}@example.com").status == 303
    warm_up(server, attacker)
    memory = PeakMemory(server.process)
    memory.start()
    answer: dict = {}

    def bomb() -> None:
        started = time.monotonic()
        answer["response"] = attacker.upload(body, filename, timeout=60)
        answer["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=bomb)
    started = time.monotonic()
    thread.start()
    # Another user logs in and adds a movie, again and again, while it runs.
    during: list[tuple[int, int]] = []
    number = 0
    while thread.is_alive() and time.monotonic() - started < 2 * WORKER_TIMEOUT_S:
        visitor = Browser(server.port)
        login = visitor.login(f"other-{tag}@example.com")
        add = visitor.post("/movies", {"title": f"Meanwhile {number}"})
        if thread.is_alive():
            during.append((login.status, add.status))
        number += 1
    thread.join(timeout=2 * WORKER_TIMEOUT_S)
    growth = memory.stop()

    response = answer["response"]
    assert response.status == 303, (response.status, server.log())
    assert answer["seconds"] < WORKER_TIMEOUT_S
    assert growth < MEMORY_GROWTH_MAX_MIB
    assert during, "the import was over before the other user could act"
    assert all(login == 303 and add == 303 for login, add in during), during
    page = attacker.get(response.headers["Location"])
    assert expected in " ".join(text for _, text in page.flashes())
    titles = stored_titles(server.database_url, f"other-{tag}@example.com")
    assert len(titles) == number
