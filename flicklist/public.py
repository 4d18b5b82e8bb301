"""Routes open to everyone: the health check and the favicon."""

import sqlalchemy as sa
from flask import Blueprint, current_app, send_from_directory
from sqlalchemy.exc import SQLAlchemyError

from flicklist.extensions import db, limiter

bp = Blueprint("public", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        # One line, not a traceback: probes repeat every few seconds while it is down.
        current_app.logger.warning(
            "health check: the database does not answer: %s",
            str(error.orig or error).splitlines()[0],
        )
        db.session.rollback()
        return {"status": "error"}, 503
    return {"status": "ok"}


@bp.get("/favicon.ico")
@limiter.exempt
def favicon():
    return send_from_directory(
        current_app.static_folder,
        "favicon.svg",
        mimetype="image/svg+xml",
        max_age=86400,
    )
