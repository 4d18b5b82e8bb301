"""Bringing imported records into a user's list: bulk writes, never a commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.timeutil import utcnow
from flicklist.transfer.bulk import (
    bulk_insert,
    new_ids,
    sqlite_import_cache,
    update_by_id,
)
from flicklist.transfer.parse import (
    REJECTED_KEPT,
    ImportFileError,
    Key,
    ParsedFile,
    Record,
)

# The rejected rows an import's message names; the rest are counted.
REJECTED_SHOWN = REJECTED_KEPT


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class ImportResult:
    """What an import did; `updated` counts the duplicates that gained something."""

    added: int = 0
    duplicates: int = 0
    updated: int = 0
    not_films: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    rejected_count: int = 0

    @classmethod
    def of_file(cls, parsed: ParsedFile) -> ImportResult:
        """The counts a file brings before any movie is compared."""
        return cls(
            duplicates=parsed.duplicates,
            not_films=parsed.not_films,
            rejected=parsed.rejected,
            rejected_count=parsed.rejected_count,
        )

    @property
    def skipped(self) -> int:
        return self.duplicates + self.not_films

    def summary(self) -> str:
        """The counts as the flash message says them, with the first rejected rows."""
        # Duplicates are skipped even when they fill in what a movie lacked: the
        # contract counts them as skipped, and "updated" says how many filled.
        text = (
            f"{self.added} added, {self.skipped} skipped ({self.duplicates} "
            f"already on your list, {self.updated} of them updated; "
            f"{plural(self.not_films, 'not a film', 'not films')}), "
            f"{self.rejected_count} rejected"
        )
        if self.rejected:
            shown = [
                f"line {line}: {why}" for line, why in self.rejected[:REJECTED_SHOWN]
            ]
            more = self.rejected_count - len(shown)
            if more > 0:
                shown.append(f"and {plural(more, 'more row', 'more rows')}")
            text += f" ({'; '.join(shown)})"
        return text


def nothing_to_import(parsed: ParsedFile) -> ImportFileError:
    """The error for a file none of whose rows is a movie to import."""
    if not (parsed.not_films or parsed.rejected_count):
        return ImportFileError("has no movies in it")
    return ImportFileError(
        f"has nothing to import: {ImportResult.of_file(parsed).summary()}"
    )


# In the movie table's order, as SQLAlchemy compiles an INSERT's columns.
WATCH_COLUMNS = ("watched", "last_watched_on", "viewing_count")


def watch_state(viewings: list[date | None]) -> tuple[bool, date | None, int]:
    """The watched flag, latest date and count (WATCH_COLUMNS) these viewings make."""
    if not viewings:
        return UNWATCHED
    dated = [watched_on for watched_on in viewings if watched_on is not None]
    return True, max(dated) if dated else None, len(viewings)


UNWATCHED = (False, None, 0)

# A new movie's row, every column given: COPY applies no Python-side default, and
# no default (title_key's among them) then runs a row. The id is taken beforehand
# (bulk.new_ids), so the viewings need no query to find their movies.
NEW_MOVIE_COLUMNS = (
    "id",
    "user_id",
    "title",
    "title_key",
    "year",
    "added_at",
    "rating_halves",
    "note",
    *WATCH_COLUMNS,
    "imdb_id",
    "tmdb_id",
    "letterboxd_uri",
    "liked",
)
VIEWING_COLUMNS = ("movie_id", "watched_on", "created_at")
# Updates name their columns in the table's order, as an UPDATE compiles them.
MOVIE_COLUMN_ORDER = {
    column.key: position for position, column in enumerate(Movie.__table__.columns)
}


def insert_movies(rows: Iterable[tuple]) -> None:
    """Rows of NEW_MOVIE_COLUMNS."""
    bulk_insert(Movie.__table__, NEW_MOVIE_COLUMNS, rows)


def insert_viewings(rows: Iterable[tuple]) -> None:
    """Rows of VIEWING_COLUMNS; the caller sets their movies' WATCH_COLUMNS."""
    bulk_insert(Viewing.__table__, VIEWING_COLUMNS, rows)


def update_movies(columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Set `columns` (in the table's order) of many movies: each row is a movie's
    id, then their values."""
    update_by_id(Movie.__table__, columns, rows)


def existing_movies(user_id: int) -> dict[Key, Any]:
    """The user's movies by (title key, year), in one query, as plain rows."""
    rows = db.session.execute(
        sa.select(
            Movie.id,
            Movie.title_key,
            Movie.year,
            Movie.rating_halves,
            Movie.viewing_count,
            (Movie.note != "").label("has_note"),
        ).where(Movie.user_id == user_id)
    )
    return {(row.title_key, row.year): row for row in rows}


def new_movie_row(
    movie_id: int, user_id: int, key: Key, record: Record, now: datetime
) -> tuple:
    """A new movie's NEW_MOVIE_COLUMNS."""
    added_at = (
        now if record.added_on is None else datetime.combine(record.added_on, time())
    )
    return (
        movie_id,
        user_id,
        record.title,
        key[0],
        record.year,
        added_at,
        record.rating_halves,
        record.note,
        *watch_state(record.viewings),
        None,
        None,
        None,
        False,
    )


def filled_row(existing: Any, record: Record) -> dict | None:
    """The columns an existing movie gains from a record, or None if nothing."""
    gains: dict = {}
    if existing.rating_halves is None and record.rating_halves is not None:
        gains["rating_halves"] = record.rating_halves
    if existing.viewing_count == 0 and record.viewings:
        gains.update(zip(WATCH_COLUMNS, watch_state(record.viewings), strict=True))
    if not existing.has_note and record.note:
        gains["note"] = record.note
    return gains or None


def import_records(user_id: int, parsed: ParsedFile) -> ImportResult:
    """Add the new movies and fill the existing ones, all in the current transaction.

    Only writes are left to do here: the file was read and grouped before, so the
    transaction (on SQLite, the write lock) lasts as long as the writing, in
    statements that do not grow with the rows (see bulk.py).
    """
    result = ImportResult.of_file(parsed)
    existing = existing_movies(user_id)
    now = utcnow()
    new: list[tuple[Key, Record]] = []
    # Updates are grouped by the columns they set: one statement a group.
    updates: dict[tuple[str, ...], list[tuple]] = {}
    watched: list[tuple[int, list[date | None]]] = []
    for key, record in parsed.movies.items():
        movie = existing.get(key)
        if movie is None:
            new.append((key, record))
            continue
        result.duplicates += 1
        gains = filled_row(movie, record)
        if gains is None:
            continue
        result.updated += 1
        columns = tuple(sorted(gains, key=MOVIE_COLUMN_ORDER.__getitem__))
        updates.setdefault(columns, []).append(
            (movie.id, *(gains[column] for column in columns))
        )
        if "watched" in gains:
            watched.append((movie.id, record.viewings))
    del existing
    result.added = len(new)
    with sqlite_import_cache():
        ids = new_ids(Movie.__table__, len(new))
        insert_movies(
            new_movie_row(movie_id, user_id, key, record, now)
            for movie_id, (key, record) in zip(ids, new, strict=True)
        )
        for columns, rows in updates.items():
            update_movies(columns, rows)
        watched += (
            (movie_id, record.viewings)
            for movie_id, (_, record) in zip(ids, new, strict=True)
            if record.viewings
        )
        insert_viewings(
            (movie_id, watched_on, now)
            for movie_id, viewings in watched
            for watched_on in viewings
        )
    return result
