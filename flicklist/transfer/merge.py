"""Bringing imported records into a user's list: bulk writes, never a commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.timeutil import utcnow
from flicklist.transfer.parse import (
    REJECTED_KEPT,
    ImportFileError,
    Key,
    ParsedFile,
    Record,
)

# The rejected rows an import's message names; the rest are counted.
REJECTED_SHOWN = REJECTED_KEPT
# Rows a bulk statement sends at once: the dicts of a 100,000-row file are never
# all in memory together.
BATCH_ROWS = 5000


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


def watch_state(viewings: list[date | None]) -> dict:
    """The watched flag, count and latest date that these viewings make."""
    dated = [watched_on for watched_on in viewings if watched_on is not None]
    return {
        "watched": bool(viewings),
        "viewing_count": len(viewings),
        "last_watched_on": max(dated, default=None),
    }


UNWATCHED = MappingProxyType(watch_state([]))


NEW_MOVIE_COLUMNS = (
    "user_id",
    "title",
    "title_key",
    "year",
    "rating_halves",
    "note",
    "added_at",
    "watched",
    "viewing_count",
    "last_watched_on",
)
# COPY applies no Python-side column default: every column is given.
VIEWING_COLUMNS = ("movie_id", "watched_on", "created_at")


def on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def copy_rows(table: sa.Table, columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    """PostgreSQL's COPY, in the session's transaction: one statement for any number
    of rows, so the list_version trigger (once a statement) fires once, and no SQL is
    built or parsed a row."""
    preparer = db.session.get_bind().dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver_connection = db.session.connection().connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def bulk_insert(
    table: sa.Table, columns: tuple[str, ...], rows: Iterable[dict]
) -> None:
    """Many rows in bulk; every row holds every one of `columns`.

    PostgreSQL takes them with COPY; SQLite with executemany in batches and no
    RETURNING: SQLite then sends one INSERT a row, which is far slower than reading
    new ids back with one query (existing_movies).
    """
    if on_postgresql():
        copy_rows(table, columns, rows)
    else:
        statement = sa.insert(table)
        write_in_batches(lambda batch: db.session.execute(statement, batch), rows)


def insert_movies(rows: Iterable[dict]) -> None:
    bulk_insert(Movie.__table__, NEW_MOVIE_COLUMNS, rows)


def insert_viewings(rows: Iterable[dict]) -> None:
    """The caller sets the viewings' movies' state with watch_state."""
    bulk_insert(Viewing.__table__, VIEWING_COLUMNS, rows)


def update_movies(rows: list[dict]) -> None:
    """Bulk update by primary key; every row holds the same columns."""
    if rows:
        db.session.execute(sa.update(Movie), rows)


def existing_movies(user_id: int) -> dict[Key, Any]:
    """The user's movies by (title key, year), in one query, as plain rows.

    Also how new movies' ids are read back after insert_movies.
    """
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


def new_movie_row(user_id: int, key: Key, record: Record, now: datetime) -> dict:
    """Every column of a new movie; `title_key` given, so no default runs a row."""
    added_at = (
        now if record.added_on is None else datetime.combine(record.added_on, time())
    )
    return {
        "user_id": user_id,
        "title": record.title,
        "title_key": key[0],
        "year": record.year,
        "rating_halves": record.rating_halves,
        "note": record.note,
        "added_at": added_at,
        **(watch_state(record.viewings) if record.viewings else UNWATCHED),
    }


def filled_row(existing: Any, record: Record) -> dict | None:
    """The columns an existing movie gains from a record, or None if nothing."""
    gains: dict = {}
    if existing.rating_halves is None and record.rating_halves is not None:
        gains["rating_halves"] = record.rating_halves
    if existing.viewing_count == 0 and record.viewings:
        gains.update(watch_state(record.viewings))
    if not existing.has_note and record.note:
        gains["note"] = record.note
    return gains or None


def viewing_rows(
    movie_id: int, viewings: list[date | None], now: datetime
) -> list[dict]:
    return [
        {"movie_id": movie_id, "watched_on": day, "created_at": now} for day in viewings
    ]


def write_in_batches(write: Callable[[list[dict]], Any], rows: Iterable[dict]) -> None:
    """Hand rows to a bulk write BATCH_ROWS at a time (never an empty batch)."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            write(batch)
            batch = []
    if batch:
        write(batch)


def import_records(user_id: int, parsed: ParsedFile) -> ImportResult:
    """Add the new movies and fill the existing ones, all in the current transaction.

    Only writes are left to do here: the file was read and grouped before, so the
    transaction (on SQLite, the write lock) lasts as long as the writing.
    """
    result = ImportResult.of_file(parsed)
    existing = existing_movies(user_id)
    now = utcnow()
    new: list[tuple[Key, Record]] = []
    updates: dict[str, list[dict]] = {}
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
        # Bulk updates go in batches of rows that set the same columns.
        updates.setdefault(",".join(sorted(gains)), []).append(
            {"id": movie.id, **gains}
        )
        if "watched" in gains:
            watched.append((movie.id, record.viewings))
    del existing
    insert_movies(new_movie_row(user_id, key, record, now) for key, record in new)
    result.added = len(new)
    for rows in updates.values():
        write_in_batches(update_movies, rows)
    if any(record.viewings for _, record in new):
        ids = {key: row.id for key, row in existing_movies(user_id).items()}
        watched += (
            (ids[key], record.viewings) for key, record in new if record.viewings
        )
    insert_viewings(
        row for movie_id, days in watched for row in viewing_rows(movie_id, days, now)
    )
    return result
