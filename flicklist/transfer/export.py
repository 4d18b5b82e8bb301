"""Writing a user's movies as FlickList's CSV, a few hundred rows at a time.

Every cell goes through escape_formula, so no spreadsheet takes one for a formula.
"""

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa

from flicklist.db_session import read_in_one_transaction
from flicklist.extensions import db
from flicklist.models import Movie
from flicklist.rules import format_rating

# The file's format is the writer's; parse.py reads what is written here.
FLICKLIST_HEADER = ("Title", "Year", "Watched", "WatchedDate", "Rating", "Added")
BATCH_SIZE = 500
# A cell beginning with one of these is a formula (or becomes one) in a spreadsheet;
# the apostrophe makes it text, and is itself escaped so the escape can be undone.
FORMULA_STARTS = frozenset("=+-@\t\r'")


def escape_formula(cell: str) -> str:
    """The cell as written to a CSV: one more `'` in front of a formula's start."""
    return "'" + cell if cell[:1] in FORMULA_STARTS else cell


def unescape_formula(cell: str) -> str:
    """escape_formula undone: one leading `'` removed where a formula start follows."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def export_query(user_id: int) -> sa.Select:
    """Oldest first, so an import of the file adds the movies in the same order."""
    return (
        sa.select(
            Movie.title,
            Movie.year,
            Movie.watched,
            Movie.last_watched_on,
            Movie.rating_halves,
            Movie.added_at,
        )
        .where(Movie.user_id == user_id)
        .order_by(Movie.added_at, Movie.id)
        # Streams rows in batches (a server-side cursor on PostgreSQL).
        .execution_options(yield_per=BATCH_SIZE)
    )


def csv_row(movie) -> list[str]:
    cells = [
        movie.title,
        "" if movie.year is None else str(movie.year),
        "yes" if movie.watched else "no",
        movie.last_watched_on.isoformat() if movie.last_watched_on else "",
        format_rating(movie.rating_halves),
        movie.added_at.date().isoformat(),
    ]
    return [escape_formula(cell) for cell in cells]


def export_lines(user_id: int) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of movies."""
    read_in_one_transaction(db.session)  # a server-side cursor lives in one
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FLICKLIST_HEADER)
    yield buffer.getvalue()
    for batch in db.session.execute(export_query(user_id)).partitions():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(movie) for movie in batch)
        yield buffer.getvalue()
