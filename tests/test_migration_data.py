"""Migrations keep the data already stored: rows survive every upgrade."""

import flask_migrate
import sqlalchemy as sa

from flicklist.extensions import db
from tests.helpers import make_app


def test_upgrading_from_the_first_migration_keeps_movies_and_viewings(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/old.sqlite")
    with app.app_context():
        flask_migrate.upgrade(revision="0002_list_sort_indexes")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO user (id, email, password_hash, created_at) "
                    "VALUES (1, 'ann@example.com', 'x', '2024-01-01 00:00:00')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO movie (id, user_id, title, title_key, year, added_at,"
                    " note, watched, last_watched_on, viewing_count) VALUES"
                    " (1, 1, 'Alien', 'alien', 1979, '2024-01-01 00:00:00', 'n', 1,"
                    " '2024-02-02', 2)"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO viewing (movie_id, watched_on, created_at) VALUES"
                    " (1, '2024-01-01', '2024-01-01 00:00:00'),"
                    " (1, '2024-02-02', '2024-02-02 00:00:00')"
                )
            )
        flask_migrate.upgrade()
        flask_migrate.check()
        with db.engine.connect() as connection:
            assert (
                connection.execute(sa.text("SELECT count(*) FROM viewing")).scalar()
                == 2
            )
            assert (
                connection.execute(sa.text("SELECT title FROM movie")).scalar()
                == "Alien"
            )
            # Foreign keys are enforced again after the migration.
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()
