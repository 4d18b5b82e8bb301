"""Routes open to everyone: the health check, the favicon and shared lists."""

from functools import partial

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from sqlalchemy.exc import SQLAlchemyError

from flicklist.account.sharing import find_share_link
from flicklist.extensions import config_limit, db, limiter
from flicklist.movies.queries import Pager, list_page, page_number

bp = Blueprint("public", __name__)

FAVICON_MAX_AGE = 24 * 3600  # seconds


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
        max_age=FAVICON_MAX_AGE,
    )


@bp.get("/share/<token>")
@limiter.limit(config_limit("SHARE_RATE_LIMIT"))
def shared_list(token: str):
    """A read-only list for anyone holding the token; unknown tokens are 404.

    Limited per client address, so tokens cannot be guessed by brute force.
    """
    link = find_share_link(token)
    if link is None:
        abort(404)
    number = page_number(request.args.get("page"))
    page_of = partial(
        list_page,
        link.user_id,
        q="",
        number=number,
        per_page=current_app.config["MOVIES_PER_PAGE"],
    )
    watched = page_of(watched=True, sort="watched")
    to_watch = page_of(watched=False, sort="added") if link.include_watchlist else None
    # One `page` walks both lists together, so one pager serves the page.
    paging = Pager(
        number=number,
        has_next=watched.has_next or bool(to_watch and to_watch.has_next),
    )
    return render_template(
        "public/shared_list.html", watched=watched, to_watch=to_watch, paging=paging
    )


@bp.after_request
def keep_shared_lists_private(response: Response) -> Response:
    """Shared lists stay out of search engines, and their URL out of Referer."""
    if request.endpoint == "public.shared_list":
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
