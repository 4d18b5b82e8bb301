"""Database triggers that bump `user.list_version` whenever one of the user's movies
changes, and the check that they are there.

Migration 0004 installs them on migrated databases (with its own frozen copy of this
SQL); the DDL events below install them when tests or tools call `create_all()`. The
rendered-page cache (movies/list_cache.py) relies on them, and turns itself off
where they are missing rather than serve a stale list.
"""

import sqlalchemy as sa
from sqlalchemy import DDL, Connection, Table, event

EVENTS = ("insert", "update", "delete")

SQLITE_TRIGGER = """
CREATE TRIGGER movie_{event}_bumps_list_version AFTER {EVENT} ON movie
BEGIN
    UPDATE "user" SET list_version = list_version + 1 WHERE id = {row}.user_id;
END
"""

POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION movie_bumps_list_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "user" SET list_version = list_version + 1
    WHERE id IN (SELECT DISTINCT user_id FROM changed_movies);
    RETURN NULL;
END
$$
"""

POSTGRESQL_TRIGGER = """
CREATE TRIGGER movie_{event}_bumps_list_version AFTER {EVENT} ON movie
REFERENCING {table} TABLE AS changed_movies
FOR EACH STATEMENT EXECUTE FUNCTION movie_bumps_list_version()
"""


def sqlite_statements() -> list[str]:
    return [
        SQLITE_TRIGGER.format(
            event=name, EVENT=name.upper(), row="OLD" if name == "delete" else "NEW"
        )
        for name in EVENTS
    ]


def postgresql_statements() -> list[str]:
    return [POSTGRESQL_FUNCTION] + [
        POSTGRESQL_TRIGGER.format(
            event=name, EVENT=name.upper(), table="OLD" if name == "delete" else "NEW"
        )
        for name in EVENTS
    ]


def install_with_create_all(movie_table: Table) -> None:
    """Create the triggers right after `create_all()` creates the movie table."""
    for statement in sqlite_statements():
        event.listen(
            movie_table, "after_create", DDL(statement).execute_if(dialect="sqlite")
        )
    for statement in postgresql_statements():
        event.listen(
            movie_table,
            "after_create",
            DDL(statement.replace("%", "%%")).execute_if(dialect="postgresql"),
        )


def triggers_present(connection: Connection) -> bool:
    """True when all three triggers exist on the movie table."""
    names = {f"movie_{name}_bumps_list_version" for name in EVENTS}
    if connection.dialect.name == "sqlite":
        query = sa.text(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'trigger' AND tbl_name = 'movie'"
        )
    elif connection.dialect.name == "postgresql":
        query = sa.text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'movie'::regclass"
        )
    else:
        return False
    return names <= set(connection.execute(query).scalars())
