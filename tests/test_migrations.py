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
