"""The ORM session class: on PostgreSQL a request that only reads skips BEGIN, ROLLBACK.

Every statement to PostgreSQL is a round trip, and a read-only page would pay two
more for the transaction around its one or two SELECTs (psycopg sends BEGIN before
the first, the pool sends ROLLBACK when the connection goes back). A GET runs its
statements in autocommit instead, on an engine that shares the pool (SQLAlchemy's
`Engine.execution_options`): the session lookup and the list each read a committed
state, which is all a page needs. A GET that must read in one transaction (the
export's server-side cursor) says so with `read_in_one_transaction()`.
SQLite's transactions cost no round trip, so it is left as it is.
"""

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_sqlalchemy.session import Session

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def reading_request() -> bool:
    """True in a request that only reads and has not asked for one transaction."""
    return (
        has_request_context()
        and request.method in READ_METHODS
        and not g.get("read_in_one_transaction")
    )


def autocommit_engine(engine: sa.Engine) -> sa.Engine:
    """The engine, sharing its pool, with each statement committed on its own."""
    found = engine.__dict__.get("_flicklist_autocommit")
    if found is None:
        found = engine.__dict__["_flicklist_autocommit"] = engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
    return found


class RequestSession(Session):
    def get_bind(self, *args: Any, **kwargs: Any) -> sa.Engine | sa.Connection:
        bind = super().get_bind(*args, **kwargs)
        if (
            isinstance(bind, sa.Engine)
            and bind.dialect.name == "postgresql"
            and reading_request()
        ):
            return autocommit_engine(bind)
        return bind


def read_in_one_transaction(session) -> None:
    """From here on, this request's statements share one transaction (a GET
    that streams through a server-side cursor, or reads what must agree)."""
    if not g.get("read_in_one_transaction"):
        g.read_in_one_transaction = True
        session.commit()  # ends the autocommit work so far; the next begins anew
