"""Bringing imported records into a user's list: bulk writes, never a commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, title_key
from flicklist.movies.importer import ParsedFile, Record
from flicklist.movies.watchlist import (
    insert_movies,
    insert_viewings,
    movie_ids,
    update_movies,
    watch_state,
)
from flicklist.timeutil import utcnow

Key = tuple[str, int | None]


@dataclass
class ImportResult:
    """What an import did; `updated` counts the duplicates that gained something."""

    added: int = 0
    duplicates: int = 0
    updated: int = 0
    not_films: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    @classmethod
    def of_file(cls, parsed: ParsedFile) -> ImportResult:
        """The counts a file brings before any movie is compared."""
        return cls(not_films=parsed.not_films, rejected=parsed.rejected)

    @property
    def skipped(self) -> int:
        return self.duplicates + self.not_films


def record_key(record: Record) -> Key:
    return title_key(record.title), record.year


def fill(target: Record, other: Record) -> None:
    """Give `target` what it lacks (rating, viewings, note) from `other`."""
    if target.rating_halves is None:
        target.rating_halves = other.rating_halves
    if not target.viewings:
        target.viewings = list(other.viewings)
    if not target.note:
        target.note = other.note


def group_records(parsed: ParsedFile, result: ImportResult) -> dict[Key, Record]:
    """One record per movie: diary rows add viewings, other repeats are duplicates."""
    groups: dict[Key, Record] = {}
    for record in parsed.records:
        key = record_key(record)
        first = groups.get(key)
        if first is None:
            groups[key] = record
        elif parsed.kind == "letterboxd-diary":
            # Rewatches: every row is a viewing; the latest rating and review win.
            first.viewings.extend(record.viewings)
            first.rating_halves = record.rating_halves or first.rating_halves
            first.note = record.note or first.note
        else:
            result.duplicates += 1
            fill(first, record)
    return groups


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


def new_movie_row(user_id: int, record: Record, now: datetime) -> dict:
    added_at = (
        now if record.added_on is None else datetime.combine(record.added_on, time())
    )
    return {
        "user_id": user_id,
        "title": record.title,
        "title_key": title_key(record.title),
        "year": record.year,
        "rating_halves": record.rating_halves,
        "note": record.note,
        "added_at": added_at,
        **watch_state(record.viewings),
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


def viewing_rows(movie_id: int, viewings: list[date | None]) -> list[dict]:
    return [{"movie_id": movie_id, "watched_on": day} for day in viewings]


def import_records(user_id: int, parsed: ParsedFile) -> ImportResult:
    """Add the new movies and fill the existing ones, all in the current transaction."""
    result = ImportResult.of_file(parsed)
    groups = group_records(parsed, result)
    existing = existing_movies(user_id)
    now = utcnow()
    new_records: list[Record] = []
    updates: dict[str, list[dict]] = {}
    viewings: list[dict] = []
    for key, record in groups.items():
        movie = existing.get(key)
        if movie is None:
            new_records.append(record)
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
            viewings += viewing_rows(movie.id, record.viewings)
    insert_movies([new_movie_row(user_id, record, now) for record in new_records])
    result.added = len(new_records)
    if any(record.viewings for record in new_records):
        ids = movie_ids(user_id)
        for record in new_records:
            viewings += viewing_rows(ids[record_key(record)], record.viewings)
    for rows in updates.values():
        update_movies(rows)
    insert_viewings(viewings)
    return result
