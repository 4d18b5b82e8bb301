"""Bringing imported records into a user's list: bulk writes, never a commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from itertools import chain, islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

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
# (new_movie_ids), so the viewings need no query to find their movies.
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
)
VIEWING_COLUMNS = ("movie_id", "watched_on", "created_at")
# Updates name their columns in the table's order, as an UPDATE compiles them.
MOVIE_COLUMN_ORDER = {
    column.key: position for position, column in enumerate(Movie.__table__.columns)
}
# SQLite takes this many rows in one INSERT (fewer when its limit on parameters
# is lower). One statement a row would cost SQLite a statement journal a row, as
# the list_version trigger writes too: three times as long for 100,000 movies.
SQLITE_ROWS_PER_STATEMENT = 500
# SQLite's page cache while an import writes (2 MiB by default): new titles land
# all over the title indexes, and with a small cache their pages are written out
# and read back again and again within the transaction. Set back afterwards.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


def on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def batched(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    """Lists of `size` rows, the last one shorter (never empty)."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def copy_rows(table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """PostgreSQL's COPY, in the session's transaction: one statement for any number
    of rows, so the list_version trigger (once a statement) fires once, and no SQL is
    built or parsed a row."""
    preparer = db.session.get_bind().dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver_connection = db.session.connection().connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@dataclass
class DriverStatement:
    """A statement compiled once for the driver (SQLite's `?` parameters), and the
    conversions SQLAlchemy applies to its parameters (SQLite's dates and booleans),
    which exec_driver_sql skips. Each conversion is cached: a file repeats its
    dates."""

    sql: str
    width: int
    converters: list[tuple[int, Callable[[Any], Any]]]

    @classmethod
    def compile(
        cls, statement: sa.Executable, table: sa.Table, names: tuple[str, ...]
    ) -> DriverStatement:
        """`names` are the statement's parameters in its order (a table's columns
        in the table's order); those that are columns of `table` are converted as
        the column's type says."""
        dialect = db.session.get_bind().dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        if tuple(compiled.positiontup or ()) != names:
            raise ValueError(f"{compiled} takes {compiled.positiontup}, not {names}")
        converters = []
        for position, name in enumerate(names):
            if name in table.c:
                column_type = table.c[name].type.dialect_impl(dialect)
                convert = column_type.bind_processor(dialect)
                if convert is not None:
                    converters.append((position, cache(convert)))
        return cls(str(compiled), len(names), converters)

    def rows(self, rows: Iterable[tuple]) -> list[tuple]:
        """Each row converted, for executemany."""
        converted = []
        for row in rows:
            cells = list(row)
            for position, convert in self.converters:
                cells[position] = convert(cells[position])
            converted.append(tuple(cells))
        return converted

    def flat(self, rows: list[tuple]) -> tuple:
        """The rows' values one after another, converted a column at a time, for a
        statement of many rows."""
        values = list(chain.from_iterable(rows))
        for position, convert in self.converters:
            column = slice(position, None, self.width)
            values[column] = map(convert, values[column])
        return tuple(values)


def sqlite_insert(
    table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple]
) -> None:
    """INSERTs of many rows each, compiled once and sent through the driver:
    SQLAlchemy's executemany would send a statement a row, and convert each
    row's dictionary in Python."""
    connection = db.session.connection()
    insert = DriverStatement.compile(sa.insert(table), table, columns)
    one_row = insert.sql[insert.sql.rindex("(") :]
    limit = connection.connection.driver_connection.getlimit(
        sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
    )
    size = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // len(columns)))
    statements: dict[int, str] = {}
    for batch in batched(rows, size):
        count = len(batch)
        if count not in statements:
            statements[count] = insert.sql + f", {one_row}" * (count - 1)
        connection.exec_driver_sql(statements[count], insert.flat(batch))


def bulk_insert(
    table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple]
) -> None:
    """Many rows, each a tuple of every one of `columns` (in the table's order), in
    a few statements: COPY on PostgreSQL, INSERTs of many rows on SQLite."""
    if on_postgresql():
        copy_rows(table, columns, rows)
    else:
        sqlite_insert(table, columns, rows)


def insert_movies(rows: Iterable[tuple]) -> None:
    """Rows of NEW_MOVIE_COLUMNS."""
    bulk_insert(Movie.__table__, NEW_MOVIE_COLUMNS, rows)


def insert_viewings(rows: Iterable[tuple]) -> None:
    """Rows of VIEWING_COLUMNS; the caller sets their movies' WATCH_COLUMNS."""
    bulk_insert(Viewing.__table__, VIEWING_COLUMNS, rows)


def update_movies(columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Set `columns` (in the table's order) of many movies: each row is a movie's
    id, then their values.

    PostgreSQL: one UPDATE from arrays, so the list_version trigger (once a
    statement) fires once, not once a row as executemany makes it. SQLite:
    executemany through the driver, the SQL compiled once.
    """
    if not rows:
        return
    table = Movie.__table__
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        names = ("id", *columns)
        # Parameters may not be named after the columns an UPDATE sets.
        arrays = [
            sa.bindparam(f"new_{name}", type_=ARRAY(table.c[name].type))
            for name in names
        ]
        changes = (
            sa.func.unnest(*arrays).table_valued(*names).render_derived(name="changes")
        )
        statement = (
            sa.update(table)
            .values({name: changes.c[name] for name in columns})
            .where(table.c.id == changes.c.id)
        )
        values = zip(*rows, strict=True)
        connection.execute(
            statement,
            {
                array.key: list(column)
                for array, column in zip(arrays, values, strict=True)
            },
        )
        return
    statement = (
        sa.update(table)
        .values({name: sa.bindparam(name) for name in columns})
        .where(table.c.id == sa.bindparam("movie_id"))
    )
    update = DriverStatement.compile(statement, table, (*columns, "movie_id"))
    connection.exec_driver_sql(
        update.sql, update.rows((*row[1:], row[0]) for row in rows)
    )


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


@contextmanager
def sqlite_import_cache() -> Iterator[None]:
    """SQLITE_IMPORT_CACHE_KIB of page cache on SQLite while the block runs."""
    if on_postgresql():
        yield
        return
    connection = db.session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def new_movie_ids(count: int) -> Sequence[int]:
    """Ids for `count` movies about to be inserted, in one query.

    PostgreSQL takes them from the id sequence, as an insert would. SQLite gives a
    new row the highest id plus one; the import's transaction holds the write lock
    from its first statement (BEGIN IMMEDIATE), so nobody else adds a movie before
    these are written, and if anybody could, the primary key would refuse the ids.
    """
    if count == 0:
        return ()
    if on_postgresql():
        # The sequence is looked up once (a subquery), not once an id, and the ids
        # come back as one array, not as rows: ten times faster for 100,000.
        return db.session.scalar(
            sa.text(
                "SELECT array_agg(nextval("
                "(SELECT pg_get_serial_sequence('movie', 'id')::regclass)))"
                " FROM generate_series(1, :count)"
            ),
            {"count": count},
        )
    highest = db.session.scalar(sa.select(sa.func.max(Movie.id))) or 0
    return range(highest + 1, highest + 1 + count)


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
    transaction (on SQLite, the write lock) lasts as long as the writing. The
    statements are as many for a file of 100 rows as for one of 100,000 (but for
    SQLite's rows per INSERT): none is sent a row.
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
        ids = new_movie_ids(len(new))
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
