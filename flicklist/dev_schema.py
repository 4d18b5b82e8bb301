"""Development only: `flask run` on a fresh checkout creates its schema on first use.

The migrations run once, on the first request, and only when the database has no
tables at all: a database made by `flask db upgrade` or by `create_all()` is left as
it is. Production never does this; there `flask db upgrade` is the release step.
"""

from threading import Lock

import flask_migrate
import sqlalchemy as sa
from flask import Flask

from flicklist.extensions import db


def register_empty_database_upgrade(app: Flask) -> None:
    if not app.config.get("UPGRADE_EMPTY_DATABASE"):
        return
    lock = Lock()
    state = {"checked": False}

    @app.before_request
    def upgrade_empty_database() -> None:
        if state["checked"]:
            return
        with lock:
            if not state["checked"]:
                if not sa.inspect(db.engine).get_table_names():
                    app.logger.info("empty database: running the migrations")
                    flask_migrate.upgrade()
                state["checked"] = True
