"""Import benchmarks: large files posted to a running server, and the write lock.

`measure_imports(base, server)` posts a 50,000-row FlickList export into one empty
account, Letterboxd's files (watched.csv of 10,000 films, then a diary.csv of 10,000
rows for them) into another, and Letterboxd's whole export (.zip: the same two files
in one upload) into a third, and checks from the flash message that every row was
imported, so a fast failure never counts as fast. The ZIP's row also gives the
largest growth of a worker's memory while it was imported. Each time is
Client.post_file's, which reads the form's CSRF token from `/` first, as a browser
has the page.
`measure_write_lock(url)` times, in-process, how long a 100,000-row diary holds
the database's write transaction (`python -m bench.imports URL...` on migrated
databases prints it). The files are generated in memory, the same every run.
"""

import io
import re
import sys
import time
import zipfile
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from bench.client import Client
from bench.seed import PASSWORD, WORDS
from bench.stack import PeakMemory
from config import ProductionConfig
from flicklist import create_app
from flicklist.extensions import db
from flicklist.models import Movie, User, Viewing
from flicklist.transfer.merge import import_records
from flicklist.transfer.parse import parse_file

FLICKLIST_ROWS = 50_000
LETTERBOXD_FILMS = 10_000
DIARY_ROWS = 10_000
# Of the diary's rows, these are second viewings of a film the diary already has.
DIARY_REWATCHES = 2_000
WRITE_LOCK_ROWS = 100_000
IMPORT_ACCOUNTS = (
    "import-flicklist@bench.example",
    "import-letterboxd@bench.example",
    "import-letterboxd-zip@bench.example",
)
# Every date in the files is on or before this one, so none is in the future.
LAST_DAY = date(2025, 12, 31)
COUNTS = re.compile(
    r"(?P<added>\d+) added, (?P<skipped>\d+) skipped \((?P<duplicates>\d+) already "
    r"on your list, (?P<updated>\d+) of them updated; (?P<not_films>\d+) not "
    r"(?:a film|films)\), (?P<rejected>\d+) rejected"
)


def title(number: int) -> str:
    """A distinct title; every seventh holds a comma, so the CSV quotes it."""
    first, second = WORDS[number % len(WORDS)], WORDS[number // 7 % len(WORDS)]
    comma = "," if number % 7 == 0 else ""
    return f"{first.title()}{comma} {second} {number}"


def year(number: int) -> int:
    return 1930 + number % 95


def day(number: int) -> date:
    return LAST_DAY - timedelta(days=number % 5000)


def csv_cell(text: str) -> str:
    return f'"{text}"' if "," in text else text


def flicklist_export(rows: int = FLICKLIST_ROWS) -> bytes:
    """FlickList's own /export.csv: three in five watched (one in ten of those
    undated), half of the watched rated, the rest on the watchlist."""
    lines = ["Title,Year,Watched,WatchedDate,Rating,Added"]
    for number in range(rows):
        watched = number % 5 < 3
        dated = watched and number % 10 != 0
        rating = f"{(number % 10 + 1) / 2:g}" if watched and number % 2 else ""
        lines.append(
            f"{csv_cell(title(number))},{year(number)},{'yes' if watched else 'no'},"
            f"{day(number).isoformat() if dated else ''},{rating},"
            f"{day(number + 700).isoformat()}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def letterboxd_uri(number: int) -> str:
    return f"https://boxd.it/{number:x}"


def letterboxd_watched(films: int = LETTERBOXD_FILMS) -> bytes:
    """Letterboxd's watched.csv: one undated row a film."""
    lines = ["Date,Name,Year,Letterboxd URI"]
    for number in range(films):
        lines.append(
            f"{day(number + 300).isoformat()},{csv_cell(title(number))},"
            f"{year(number)},{letterboxd_uri(number)}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def diary_films(rows: int, rewatches: int) -> list[int]:
    """The film of each diary row: one row for each of the first `rows - rewatches`
    films, then a rewatch each of the first `rewatches` of them."""
    first = rows - rewatches
    return [number if number < first else number - first for number in range(rows)]


def letterboxd_diary(rows: int = DIARY_ROWS, rewatches: int = DIARY_REWATCHES) -> bytes:
    """Letterboxd's diary.csv: a dated viewing a row, seven in ten rated."""
    lines = ["Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date"]
    seen: set[int] = set()
    for row, number in enumerate(diary_films(rows, rewatches)):
        rewatch = "Yes" if number in seen else ""
        seen.add(number)
        rating = f"{(row % 10 + 1) / 2:g}" if row % 10 < 7 else ""
        lines.append(
            f"{day(row).isoformat()},{csv_cell(title(number))},{year(number)},"
            f"{letterboxd_uri(row + 1_000_000)},{rating},{rewatch},,"
            f"{day(row + 11).isoformat()}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def letterboxd_zip() -> bytes:
    """Letterboxd's whole export: watched.csv and diary.csv as above, with the
    profile it always holds, deflated as Letterboxd does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.csv", "Date Joined,Username\r\n2020-01-01,bench\r\n")
        archive.writestr("watched.csv", letterboxd_watched())
        archive.writestr("diary.csv", letterboxd_diary())
    return buffer.getvalue()


def flash_counts(client: Client) -> dict[str, int]:
    """The counts in the import's flash, shown on the page the import led to."""
    status, html = client.request("GET", "/")
    match = COUNTS.search(html.decode())
    if status != 200 or not match:
        raise RuntimeError(f"no import counts on the page after the import ({status})")
    return {name: int(value) for name, value in match.groupdict().items()}


def post_import(
    client: Client, scenario: str, filename: str, content: bytes, rows: int, **want
) -> dict:
    """Time one upload; fail unless the flash shows the counts wanted."""
    started = time.perf_counter()
    status, _ = client.post_file("/import", "file", filename, content, "/")
    seconds = time.perf_counter() - started
    counts = flash_counts(client) if status in (302, 303) else {}
    wrong = {name: counts.get(name) for name in want if counts.get(name) != want[name]}
    if wrong:
        raise RuntimeError(f"{scenario}: {status}, counts {counts}, wanted {want}")
    return {
        "scenario": scenario,
        "status": status,
        "seconds": round(seconds, 3),
        "rows": rows,
    }


def measure_imports(base: str, server) -> list[dict]:
    """Each import case over HTTP into its own empty account (IMPORT_ACCOUNTS);
    `server` is the gunicorn master whose workers' memory is watched."""
    flicklist_account, letterboxd_account, zip_account = IMPORT_ACCOUNTS
    client = Client(base)
    client.login(flicklist_account, PASSWORD)
    results = [
        post_import(
            client,
            f"POST /import ({FLICKLIST_ROWS:,} FlickList rows)",
            "flicklist.csv",
            flicklist_export(),
            FLICKLIST_ROWS,
            added=FLICKLIST_ROWS,
            rejected=0,
        )
    ]
    client = Client(base)
    client.login(letterboxd_account, PASSWORD)
    watched = post_import(
        client,
        f"POST /import (Letterboxd watched.csv, {LETTERBOXD_FILMS:,} films)",
        "watched.csv",
        letterboxd_watched(),
        LETTERBOXD_FILMS,
        added=LETTERBOXD_FILMS,
        rejected=0,
    )
    diary_movies = DIARY_ROWS - DIARY_REWATCHES
    diary = post_import(
        client,
        f"POST /import (Letterboxd diary.csv, {DIARY_ROWS:,} rows)",
        "diary.csv",
        letterboxd_diary(),
        DIARY_ROWS,
        added=0,
        duplicates=diary_movies,
        rejected=0,
    )
    both = {
        "scenario": "POST /import (Letterboxd watched.csv + diary.csv)",
        "status": diary["status"],
        "seconds": round(watched["seconds"] + diary["seconds"], 3),
        "rows": LETTERBOXD_FILMS + DIARY_ROWS,
    }
    client = Client(base)
    client.login(zip_account, PASSWORD)
    content = letterboxd_zip()
    with PeakMemory(server) as memory:
        archive = post_import(
            client,
            f"POST /import (Letterboxd export .zip, {LETTERBOXD_FILMS:,} films, "
            f"{DIARY_ROWS:,}-row diary)",
            "letterboxd-bench-2025-12-31-00-00-utc.zip",
            content,
            LETTERBOXD_FILMS + DIARY_ROWS,
            added=LETTERBOXD_FILMS,
            rejected=0,
        )
    archive["bytes"] = len(content)
    archive["worker_memory_growth_mib"] = round(memory.growth_mib, 1)
    return [*results, watched, diary, both, archive]


def write_lock_app(database_url: str) -> Flask:
    return create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "bench-imports-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
        },
    )


def measure_write_lock(database_url: str, rows: int = WRITE_LOCK_ROWS) -> dict:
    """A diary of `rows` new films, one viewing each, imported in-process into a new
    account of a migrated database: the time from the write transaction's BEGIN to
    its COMMIT (the import's write lock on SQLite), and the parse before it. The
    account is deleted afterwards."""
    app = write_lock_app(database_url)
    content = letterboxd_diary(rows, rewatches=0)
    times: dict[str, float] = {}
    with app.app_context():
        engine = db.engine
        user = User(
            email=f"write-lock-{time.time_ns()}@bench.example", password_hash=""
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.id

        def began(_connection) -> None:
            # After the app's own listener has sent BEGIN (IMMEDIATE on SQLite).
            times.setdefault("begin", time.perf_counter())

        # A POST's transaction, as the import view has: BEGIN IMMEDIATE on SQLite.
        with app.test_request_context("/import", method="POST"):
            started = time.perf_counter()
            parsed = parse_file(content, "diary.csv", max_rows=rows)
            parse_seconds = time.perf_counter() - started
            sa.event.listen(engine, "begin", began)
            try:
                result = import_records(user_id, parsed)
                db.session.commit()
                times["commit"] = time.perf_counter()  # COMMIT done: lock released
            finally:
                sa.event.remove(engine, "begin", began)
        movies, viewings = stored_counts(user_id)
        db.session.execute(sa.delete(User).where(User.id == user_id))
        db.session.commit()
        engine.dispose()
    if (result.added, movies, viewings) != (rows, rows, rows):
        raise RuntimeError(f"write lock: {result.added} added, {movies}, {viewings}")
    return {
        "scenario": f"import write transaction ({rows:,} new films and viewings)",
        "database": sa.engine.make_url(database_url).get_backend_name(),
        "parse_seconds": round(parse_seconds, 3),
        "seconds": round(times["commit"] - times["begin"], 3),
        "rows": rows,
    }


def stored_counts(user_id: int) -> tuple[int, int]:
    movies = db.session.scalar(
        sa.select(sa.func.count(Movie.id)).where(Movie.user_id == user_id)
    )
    viewings = db.session.scalar(
        sa.select(sa.func.count(Viewing.id)).join(Movie).where(Movie.user_id == user_id)
    )
    return movies, viewings


if __name__ == "__main__":
    for url in sys.argv[1:]:
        print(measure_write_lock(url))
