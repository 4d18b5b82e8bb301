"""Writing a user's movies as FlickList's CSV, a few hundred rows at a time."""

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie
from flicklist.rules import format_rating

# The file's format is the writer's; parse.py reads what is written here.
FLICKLIST_HEADER = ("Title", "Year", "Watched", "WatchedDate", "Rating", "Added")
BATCH_SIZE = 500


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
    return [
        movie.title,
        "" if movie.year is None else str(movie.year),
        "yes" if movie.watched else "no",
        movie.last_watched_on.isoformat() if movie.last_watched_on else "",
        format_rating(movie.rating_halves),
        movie.added_at.date().isoformat(),
    ]


def export_lines(user_id: int) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of movies."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FLICKLIST_HEADER)
    yield buffer.getvalue()
    for batch in db.session.execute(export_query(user_id)).partitions():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(movie) for movie in batch)
        yield buffer.getvalue()
