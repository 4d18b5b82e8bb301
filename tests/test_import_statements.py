"""An import's SQL does not grow with its rows (issue 13): statements counted, not
timed, for a 100-row and a 2,000-row file of each shape, on SQLite and PostgreSQL.
And the bulk write paths store exactly what the row-by-row ones did."""

import io
import math
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from flicklist.extensions import db
from flicklist.models import Movie, User, Viewing
from flicklist.timeutil import today
from flicklist.transfer import bulk, merge
from tests.helpers import (
    AuthActions,
    counting_queries,
    create_user,
    csrf_token,
    import_counts,
    listed_titles,
    recorded_statements,
    stored_movies,
    upload,
)

SMALL, LARGE = 100, 2_000
FLICKLIST_HEADER = "Title,Year,Watched,WatchedDate,Rating,Added"
WATCHLIST_HEADER = "Date,Name,Year,Letterboxd URI"
DIARY_HEADER = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Watched Date"


def day(number: int) -> str:
    return (today() - timedelta(days=1 + number % 3000)).isoformat()


def flicklist_export(rows: int) -> bytes:
    """New films: three in five watched (some undated), half of those rated."""
    lines = [FLICKLIST_HEADER]
    for number in range(rows):
        watched = number % 5 < 3
        dated = watched and number % 10 != 0
        rating = f"{(number % 10 + 1) / 2:g}" if watched and number % 2 else ""
        lines.append(
            f"Film {number},{1950 + number % 70},{'yes' if watched else 'no'},"
            f"{day(number) if dated else ''},{rating},2024-01-01"
        )
    return "\n".join(lines).encode()


def watchlist(rows: int) -> bytes:
    lines = [WATCHLIST_HEADER]
    lines += (f"2024-01-01,Film {n},{1950 + n % 70},x" for n in range(rows))
    return "\n".join(lines).encode()


def diary(rows: int) -> bytes:
    """A dated viewing a row, every fourth row a rewatch of the film before."""
    lines = [DIARY_HEADER]
    for number in range(rows):
        film = number - 1 if number % 4 == 3 else number
        lines.append(
            f"2024-01-01,Film {film},{1950 + film % 70},x,"
            f"{(number % 10 + 1) / 2:g},{'Yes' if number % 4 == 3 else ''},"
            f"{day(number)}"
        )
    return "\n".join(lines).encode()


@contextmanager
def copies(monkeypatch):
    """The tables written by PostgreSQL's COPY, which SQLAlchemy does not see."""
    tables: list[str] = []
    copy_rows = bulk.copy_rows

    def counted(table, columns, rows) -> None:
        tables.append(table.name)
        copy_rows(table, columns, rows)

    monkeypatch.setattr(bulk, "copy_rows", counted)
    yield tables


def executemany_rows(app):
    """(statement, rows) of each executemany: one statement, run once a row."""
    return recorded_statements(
        app,
        lambda statement, parameters, many: (
            (statement, len(parameters)) if many else None
        ),
    )


def post_import(client, content: bytes, filename: str):
    """POST /import (the CSRF token read first, so only the import is counted)."""
    values = {"csrf_token": csrf_token(client)}
    values["file"] = FileStorage(io.BytesIO(content), filename, "file", "text/csv")
    boundary, body = encode_multipart(values)
    return client.post(
        "/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def counted_import(app, client, monkeypatch, content: bytes, filename: str):
    """The statements one import sends (COPY included), and its executemany runs."""
    with (
        counting_queries(app) as statements,
        copies(monkeypatch) as copied,
        executemany_rows(app) as runs,
    ):
        response = post_import(client, content, filename)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    return statements + [f"COPY {table}" for table in copied], runs, page


def shape(statement: str) -> str:
    """A statement without its parameters: INSERTs of 3 and of 500 rows are alike."""
    head = " ".join(statement.split())
    return head.split(" VALUES ")[0] if head.startswith("INSERT") else head


def sqlite_insert_batches(rows: int) -> int:
    return math.ceil(rows / bulk.SQLITE_ROWS_PER_STATEMENT)


def logged_in_as(app, email: str, password_hash: str):
    create_user(app, email, password_hash)
    client = app.test_client()
    AuthActions(client).login(email)
    return client


# Each case: a file that fills the list first (or None), the file counted, its name.
CASES = {
    "new films and viewings": (None, flicklist_export, "export.csv"),
    "duplicates that gain a rating and viewings": (watchlist, diary, "diary.csv"),
    "a diary with rewatches": (None, diary, "diary.csv"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_imports_statements_do_not_grow_with_its_rows(
    app, password_hash, monkeypatch, case
):
    before, make_file, filename = CASES[case]
    counted = {}
    for rows in (SMALL, LARGE):
        client = logged_in_as(app, f"user{rows}@example.com", password_hash)
        if before is not None:
            upload(client, before(rows), "watchlist.csv")
        statements, runs, page = counted_import(
            app, client, monkeypatch, make_file(rows), filename
        )
        counts = import_counts(page)
        assert counts["added"] + counts["duplicates"] > rows // 2, counts
        assert counts["rejected"] == 0
        counted[rows] = Counter(map(shape, statements)), runs
    (small, small_runs), (large, large_runs) = counted[SMALL], counted[LARGE]
    # The same statements; only SQLite sends more multi-row INSERTs for more rows.
    assert small.keys() == large.keys()
    for statement, times in large.items():
        if statement.startswith("INSERT"):
            assert times <= sqlite_insert_batches(LARGE), statement
        else:
            assert times == small[statement], statement
    # No executemany, but SQLite's UPDATE of the duplicates that gain something:
    # one statement, prepared once and stepped a row in-process (an UPDATE ...
    # FROM VALUES of 500 rows measured no faster, and SQLite's triggers fire a row
    # either way).
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    for statement, rows in small_runs + large_runs:
        assert sqlite and statement.startswith("UPDATE movie SET"), (statement, rows)


def test_postgresql_writes_new_movies_and_viewings_with_copy(
    app, logged_in, monkeypatch
):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("COPY is PostgreSQL's")
    statements, runs, page = counted_import(
        app, logged_in, monkeypatch, flicklist_export(50), "export.csv"
    )
    assert import_counts(page)["added"] == 50
    assert [s for s in statements if s.startswith("COPY")] == [
        "COPY movie",
        "COPY viewing",
    ]
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert runs == []


def everything_stored(app) -> list[tuple]:
    """Every movie with its columns and viewings, by title (ids left out)."""
    with app.app_context():
        rows = []
        for movie in db.session.scalars(sa.select(Movie).order_by(Movie.title)):
            rows.append(
                (
                    movie.title,
                    movie.title_key,
                    movie.year,
                    movie.added_at,
                    movie.rating_halves,
                    movie.note,
                    movie.watched,
                    movie.last_watched_on,
                    movie.viewing_count,
                    sorted(v.watched_on or date.min for v in movie.viewings),
                )
            )
        return rows


def test_a_file_split_into_many_statements_stores_the_same(
    app, password_hash, monkeypatch
):
    """Rows split over INSERTs of 7 rows and a shorter last one (SQLite), types and
    all, are stored as in one statement."""
    content = flicklist_export(40)
    client = logged_in_as(app, "ann@example.com", password_hash)
    upload(client, content, "export.csv")
    whole = everything_stored(app)
    with app.app_context():
        db.session.execute(sa.delete(Movie))
        db.session.commit()
    monkeypatch.setattr(bulk, "SQLITE_ROWS_PER_STATEMENT", 7)
    upload(client, content, "export.csv")
    assert everything_stored(app) == whole
    assert len(whole) == 40
    assert {row[3] for row in whole} == {whole[0][3]}  # added on the file's date
    assert any(row[7] is None and row[6] for row in whole)  # watched, undated


def test_new_movies_follow_the_highest_id_even_after_deletes(app, logged_in, user_id):
    """New movies' ids are taken before they are written (on SQLite, the highest
    plus one): after the newest movie was deleted they are still unique, and the
    viewings find their movies."""
    upload(logged_in, watchlist(3), "watchlist.csv")
    with app.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(Movie.id)))
        db.session.execute(sa.delete(Movie).where(Movie.id == newest))
        db.session.commit()
    page = logged_in.get(upload(logged_in, diary(4), "diary.csv").headers["Location"])
    counts = import_counts(page)
    assert (counts["added"], counts["duplicates"]) == (1, 2)
    with app.app_context():
        ids = db.session.scalars(sa.select(Movie.id).order_by(Movie.id)).all()
        viewings = db.session.scalars(sa.select(Viewing.movie_id)).all()
    assert len(ids) == len(set(ids)) == 3
    assert set(viewings) <= set(ids)


def sqlite_cache_sizes(app) -> list[int]:
    """cache_size of every pooled SQLite connection."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return []
        with engine.connect() as connection:
            return [connection.exec_driver_sql("PRAGMA cache_size").scalar_one()]


def test_the_larger_page_cache_lasts_only_while_an_import_writes(
    app, logged_in, monkeypatch
):
    before = sqlite_cache_sizes(app)
    during: list[int] = []
    insert_viewings = merge.insert_viewings

    def noting_insert_viewings(rows) -> None:
        if not bulk.on_postgresql():
            pragma = db.session.connection().exec_driver_sql("PRAGMA cache_size")
            during.append(pragma.scalar_one())
        insert_viewings(rows)

    monkeypatch.setattr(merge, "insert_viewings", noting_insert_viewings)
    upload(logged_in, flicklist_export(30), "export.csv")
    assert during == [-bulk.SQLITE_IMPORT_CACHE_KIB for _ in before]
    assert sqlite_cache_sizes(app) == before

    def failing_insert_viewings(rows) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(merge, "insert_viewings", failing_insert_viewings)
    with pytest.raises(RuntimeError):
        upload(logged_in, diary(10), "diary.csv")
    assert sqlite_cache_sizes(app) == before


def test_an_import_that_only_fills_in_bumps_the_list_version(app, logged_in, user_id):
    """The updates (one statement on PostgreSQL) still fire the list_version
    trigger, so the cached list never shows the movies as they were."""
    upload(logged_in, watchlist(30), "watchlist.csv")
    assert len(listed_titles(logged_in.get("/"))) == 30
    logged_in.get("/")  # the page is kept
    with app.app_context():
        version = db.session.scalar(
            sa.select(User.list_version).where(User.id == user_id)
        )
    page = logged_in.get(upload(logged_in, diary(8), "diary.csv").headers["Location"])
    counts = import_counts(page)
    assert (counts["added"], counts["updated"]) == (0, 6)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(User.list_version).where(User.id == user_id))
            > version
        )
    assert len(listed_titles(logged_in.get("/"))) == 24
    watched = {title for (title, _), movie in stored_movies(app).items() if movie[0]}
    assert watched == {f"Film {n}" for n in (0, 1, 2, 4, 5, 6)}
