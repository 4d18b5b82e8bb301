"""list version: the database bumps user.list_version whenever a movie changes

The rendered-list cache (flicklist/movies/list_cache.py) is keyed by it. Triggers
rather than application code keep it true for every write, bulk imports and
cascading deletes included. A later batch migration that rebuilds the movie table
on SQLite drops these triggers and must create them again
(tests/test_list_cache.py notices).

Revision ID: 0004_list_version
Revises: 0003_wider_title_key
Create Date: 2026-11-26 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_list_version'
down_revision = '0003_wider_title_key'
branch_labels = None
depends_on = None

EVENTS = ("insert", "update", "delete")

# SQLite has row triggers only; each is a single cheap UPDATE of the owner.
SQLITE_TRIGGER = """
CREATE TRIGGER movie_{event}_bumps_list_version AFTER {EVENT} ON movie
BEGIN
    UPDATE "user" SET list_version = list_version + 1 WHERE id = {row}.user_id;
END
"""

# PostgreSQL: statement triggers with transition tables, so a 10,000-row import
# bumps each owner once instead of 10,000 times.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION movie_bumps_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'list_version',
                sa.Integer(),
                server_default=sa.text('0'),
                nullable=False,
            )
        )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
    for event in EVENTS:
        old = event == "delete"
        if dialect == "sqlite":
            op.execute(
                SQLITE_TRIGGER.format(
                    event=event, EVENT=event.upper(), row="OLD" if old else "NEW"
                )
            )
        elif dialect == "postgresql":
            op.execute(
                POSTGRESQL_TRIGGER.format(
                    event=event, EVENT=event.upper(), table="OLD" if old else "NEW"
                )
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    for event in EVENTS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS movie_{event}_bumps_list_version")
        elif dialect == "postgresql":
            op.execute(
                f"DROP TRIGGER IF EXISTS movie_{event}_bumps_list_version ON movie"
            )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS movie_bumps_list_version()")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('list_version')
