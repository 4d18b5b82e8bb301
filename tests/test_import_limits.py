"""Import limits (issue 12, finding 1): the row cap, the viewings cap, the rate
limit per account, bounded rejected rows, and no lock held while a file is read."""

import io
import sqlite3
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Request
from sqlalchemy.engine import make_url

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.rules import VIEWINGS_PER_MOVIE_MAX
from flicklist.timeutil import today
from flicklist.transfer.parse import REJECTED_KEPT, ImportFileError, parse_file
from tests.helpers import (
    AuthActions,
    create_user,
    flash_text,
    flashes,
    import_counts,
    make_app,
    stored_movies,
    upload,
)

WATCHLIST_HEADER = "Date,Name,Year,Letterboxd URI\n"
DIARY_HEADER = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Watched Date\n"


def watchlist(rows: int) -> bytes:
    lines = (f"2024-01-01,Film {number},2000,x\n" for number in range(rows))
    return (WATCHLIST_HEADER + "".join(lines)).encode()


def landing(client, response):
    assert response.status_code in (302, 303), response.status_code
    return client.get(response.headers["Location"])


def movie_and_viewing_counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count(Movie.id))),
            db.session.scalar(sa.select(sa.func.count(Viewing.id))),
        )


# The row cap


def test_the_row_cap_defaults_to_100_000_and_is_a_setting(app, monkeypatch, tmp_path):
    assert app.config["IMPORT_MAX_ROWS"] == 100_000
    monkeypatch.setenv("FLASK_IMPORT_MAX_ROWS", "250")
    monkeypatch.setenv("FLASK_IMPORT_RATE_LIMIT", "5 per minute")
    configured = make_app("sqlite://", instance_path=tmp_path / "other")
    assert configured.config["IMPORT_MAX_ROWS"] == 250
    assert configured.config["IMPORT_RATE_LIMIT"] == "5 per minute"


def test_a_file_over_the_row_cap_is_refused_whole(app, logged_in):
    app.config["IMPORT_MAX_ROWS"] = 20
    page = landing(logged_in, upload(logged_in, watchlist(21), "watchlist.csv"))
    assert [category for category, _ in flashes(page)] == ["error"]
    assert "watchlist.csv has more than 20 rows" in flash_text(page)
    assert "Nothing was imported" in flash_text(page)
    assert stored_movies(app) == {}
    # At the cap, and with blank lines that are not rows, it is imported.
    content = watchlist(20).replace(b"\n2024", b"\n\n,,\n2024")
    page = landing(logged_in, upload(logged_in, content, "watchlist.csv"))
    assert import_counts(page)["added"] == 20


def test_a_file_of_100_001_rows_is_refused_and_stores_nothing(app, logged_in):
    """The default cap, as the review's file met it: refused without a write."""
    page = landing(logged_in, upload(logged_in, watchlist(100_001), "watchlist.csv"))
    assert "has more than 100,000 rows" in flash_text(page)
    assert movie_and_viewing_counts(app) == (0, 0)


def test_rows_that_are_rejected_or_not_films_count_towards_the_cap():
    content = (
        b"Const,Your Rating,Date Rated,Title,Title Type,Year\n"
        b"tt1,8,2024-01-01,Lost,TV Series,2004\n"
        b"tt2,8,2024-01-01,,movie,2004\n"
        b"tt3,8,2024-01-01,Heat,movie,1995\n"
    )
    assert parse_file(content, "ratings.csv", max_rows=3).rows == 3
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        parse_file(content, "ratings.csv", max_rows=2)


# The viewings cap


def diary(viewings: int, title: str = "Heat") -> bytes:
    first = today() - timedelta(days=viewings)
    lines = (
        f"2024-01-01,{title},1995,x,4,,{(first + timedelta(days=n)).isoformat()}\n"
        for n in range(viewings)
    )
    return (DIARY_HEADER + "".join(lines)).encode()


def test_a_diary_with_1001_viewings_of_one_film_stores_1000(app, logged_in):
    assert VIEWINGS_PER_MOVIE_MAX == 1000
    page = landing(logged_in, upload(logged_in, diary(1001), "diary.csv"))
    counts = import_counts(page)
    assert (counts["added"], counts["rejected"]) == (1, 1)
    # The header is line 1, so the 1,001st viewing is on line 1002.
    assert "line 1002: more than 1,000 viewings of one movie" in flash_text(page)
    assert movie_and_viewing_counts(app) == (1, 1000)
    with app.app_context():
        heat = db.session.scalar(sa.select(Movie))
        assert heat.viewing_count == 1000
        assert heat.last_watched_on == today() - timedelta(days=2)


def test_the_viewings_cap_is_per_movie():
    content = diary(1000, "Heat") + diary(1000, "Alien").split(b"\n", 1)[1]
    parsed = parse_file(content, "diary.csv")
    assert parsed.rejected_count == 0
    assert [len(record.viewings) for record in parsed.records] == [1000, 1000]


# Rejected rows: all counted, a few kept


def test_rejected_rows_are_counted_but_only_a_few_are_kept(app, logged_in):
    bad = "".join(f"2024-01-01,Film {n},19x9,x\n" for n in range(3000))
    content = (WATCHLIST_HEADER + "2024-01-01,Alien,1979,x\n" + bad).encode()
    parsed = parse_file(content, "watchlist.csv")
    assert parsed.rejected_count == 3000
    assert len(parsed.rejected) == REJECTED_KEPT
    assert parsed.rejected[0] == (3, "a bad year (19x9)")
    page = landing(logged_in, upload(logged_in, content, "watchlist.csv"))
    assert import_counts(page)["rejected"] == 3000
    assert "line 3: a bad year (19x9)" in flash_text(page)
    assert "and 2995 more rows" in flash_text(page)


# The rate limit, per account


@pytest.fixture
def limited_app(database_url, tmp_path):
    """Rate limits on, with the default import limit."""
    app = make_app(
        database_url, RATELIMIT_ENABLED=True, instance_path=tmp_path / "instance"
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_31st_import_in_an_hour_gets_429_and_others_go_on(
    limited_app, password_hash
):
    assert limited_app.config["IMPORT_RATE_LIMIT"] == "30 per hour"
    create_user(limited_app, "ann@example.com", password_hash)
    create_user(limited_app, "bob@example.com", password_hash)
    ann, bob = limited_app.test_client(), limited_app.test_client()
    AuthActions(ann).login()
    AuthActions(bob).login("bob@example.com")
    for number in range(30):
        content = f"{WATCHLIST_HEADER}2024-01-01,Film {number},2000,x\n".encode()
        assert upload(ann, content, "watchlist.csv").status_code == 303
    response = upload(ann, watchlist(1), "watchlist.csv")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "Too many" in html and "</html>" in html
    assert "Content-Security-Policy" in response.headers
    # Bob, from the same address, is not throttled by Ann's imports.
    page = landing(bob, upload(bob, watchlist(1), "watchlist.csv"))
    assert import_counts(page)["added"] == 1
    with limited_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Movie.id))) == 31


# No transaction, so no lock, while the file is read


class UploadProbe(io.BytesIO):
    """An upload that notes, when it is first read, whether the request holds a
    transaction and whether another connection could take SQLite's write lock."""

    notes: list[dict]

    def __init__(self, app, notes: list[dict]):
        super().__init__()
        self.app, self.notes = app, notes

    def note(self) -> None:
        if self.notes:
            return
        url = make_url(self.app.config["SQLALCHEMY_DATABASE_URI"])
        self.notes.append(
            {
                "in_transaction": db.session().in_transaction(),
                "write_lock_free": url.get_backend_name() != "sqlite"
                or sqlite_write_lock_free(url.database),
            }
        )

    def read(self, size=-1):
        self.note()
        return super().read(size)

    def read1(self, size=-1):
        self.note()
        return super().read1(size)


def sqlite_write_lock_free(path: str) -> bool:
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def test_the_file_is_read_with_no_transaction_open(app, logged_in):
    """Reading and checking happen before the write transaction begins; on SQLite
    another user's login or add could not write before it ended."""
    notes: list[dict] = []

    class ProbingRequest(Request):
        def _get_file_stream(self, *args, **kwargs):
            return UploadProbe(app, notes)

    app.request_class = ProbingRequest
    page = landing(logged_in, upload(logged_in, watchlist(3), "watchlist.csv"))
    assert import_counts(page)["added"] == 3
    assert notes == [{"in_transaction": False, "write_lock_free": True}]


def test_a_cp1252_file_is_read_again_from_its_start():
    """The stream is read once as UTF-8; a byte that is not UTF-8 late in the file
    makes it read again as Windows-1252, with the same rows."""
    rows = "".join(f"2024-01-01,Film {n},2000,x\n" for n in range(5000))
    content = (WATCHLIST_HEADER + rows + "2024-01-01,Amélie,2001,x\n").encode("cp1252")
    parsed = parse_file(io.BytesIO(content), "watchlist.csv")
    assert len(parsed.records) == 5001
    assert parsed.records[-1].title == "Amélie"
    assert parsed.records[-1].added_on == date(2024, 1, 1)
