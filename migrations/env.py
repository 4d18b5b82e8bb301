"""Alembic's environment for Flask-Migrate: the app's engine and metadata."""

import logging
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config

# Keep the app's loggers working when migrations run inside a process.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    # Flask-SQLAlchemy 3: db.engine (db.get_engine() is deprecated).
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# SQLite cannot reflect expression indexes (the list sort indexes of migration
# 0006), so autogenerate cannot compare them there and says so on every run;
# tests/test_migrations.py checks that they exist. PostgreSQL compares them.
for message in (
    "autogenerate skipping metadata-specified expression-based index",
    "Skipped unsupported reflection of expression-based index",
):
    warnings.filterwarnings("ignore", message=message)

config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """`flask db upgrade --sql`: the SQL as text, from the URL alone."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Migrate the app's database over a connection of its engine."""

    # `flask db migrate` with no model change writes no empty revision.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table by dropping it; with foreign keys
            # on, SQLite would cascade that drop to the child rows. The pragma only
            # works outside a transaction, so it goes to the raw connection.
            set_sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection, target_metadata=get_metadata(), **conf_args
            )

            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql(
                        "PRAGMA foreign_key_check"
                    ).fetchall()
                    if broken:
                        raise RuntimeError(f"foreign keys broken: {broken[:5]}")
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.commit()
                set_sqlite_foreign_keys(connection, on=True)


def set_sqlite_foreign_keys(connection, on):
    connection.connection.driver_connection.execute(
        f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"
    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
