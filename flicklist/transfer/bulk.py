"""Bulk writes for imports, in the session's transaction: COPY and UPDATE from
arrays on PostgreSQL, INSERTs of many rows on SQLite. The statements are as many
for 100 rows as for 100,000, but for SQLite's INSERTs (SQLITE_ROWS_PER_STATEMENT
rows each) and its UPDATE (executemany: one statement, stepped a row)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from flicklist.extensions import db

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


def update_by_id(table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Set `columns` (in the table's order) of many rows of `table`: each row is
    an `id`, then their values.

    PostgreSQL: one UPDATE from arrays, so the list_version trigger (once a
    statement) fires once, not once a row as executemany makes it. SQLite:
    executemany through the driver, the SQL compiled once.
    """
    if not rows:
        return
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
        .where(table.c.id == sa.bindparam("row_id"))
    )
    update = DriverStatement.compile(statement, table, (*columns, "row_id"))
    connection.exec_driver_sql(
        update.sql, update.rows((*row[1:], row[0]) for row in rows)
    )


def new_ids(table: sa.Table, count: int) -> Sequence[int]:
    """Ids for `count` rows about to be inserted in `table`, in one query.

    PostgreSQL takes them from the id's sequence, as an insert would: looked up
    once (a subquery), not once an id, and sent back as one array, not as rows
    (ten times faster for 100,000). SQLite gives a new row the highest id plus
    one; an import's transaction holds the write lock from its first statement
    (a POST's BEGIN IMMEDIATE), so nobody else inserts before these are written,
    and if anybody could, the primary key would refuse the ids.
    """
    if count == 0:
        return ()
    if on_postgresql():
        return db.session.scalar(
            sa.text(
                "SELECT array_agg(nextval("
                "(SELECT pg_get_serial_sequence(:table, 'id')::regclass)))"
                " FROM generate_series(1, :count)"
            ),
            {
                "table": db.session.get_bind().dialect.identifier_preparer.format_table(
                    table
                ),
                "count": count,
            },
        )
    highest = db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0
    return range(highest + 1, highest + 1 + count)


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
