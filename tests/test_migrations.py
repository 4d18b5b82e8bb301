"""The migrations build the schema the models describe; nothing is left to migrate."""

import flask_migrate
import sqlalchemy as sa

from flicklist.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context():
        flask_migrate.upgrade()  # already at head: a no-op that must not fail
        flask_migrate.check()
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {
        "user",
        "user_session",
        "movie",
        "viewing",
        "share_link",
        "alembic_version",
    } <= tables


def test_upgrade_an_empty_database_then_downgrade(tmp_path):
    from tests.helpers import make_app

    app = make_app(f"sqlite:///{tmp_path}/empty.sqlite")
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.check()
        flask_migrate.downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


def test_the_list_sort_indexes_exist_on_both_databases(app):
    """Autogenerate cannot compare SQLite's expression indexes (migrations/env.py):
    check here that the migrations made them, in the order the pages sort."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'movie'"
            )
        found = {name: sql.lower() for name, sql in rows if sql}
    expected = {
        "ix_movie_list_by_year": "coalesce(",
        "ix_movie_list_by_watched_on": "'0001-01-01'",
        "ix_movie_list_by_rating": "coalesce(",
    }
    for name, part in expected.items():
        assert part in found[name] and "desc" in found[name], found.get(name)
