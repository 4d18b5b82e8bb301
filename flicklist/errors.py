"""The site's own pages for HTTP errors: never a stack trace, never the database.

An error page may be answering for a database that refuses connections or is
locked, or for a request whose Host is not trusted (then Flask built no URL
adapter), so it renders from what the request already holds and builds only
relative URLs. The one exception: a 4xx page for a reading request tries to load
the user for the navigation, as any page would (a read never waits for SQLite's
write lock), and goes on without it when that fails.
"""

import sqlalchemy as sa
from flask import Flask, g, make_response, render_template, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from flicklist.database import READ_METHODS
from flicklist.extensions import db, login_manager
from flicklist.security import is_safe_next

TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
}

EXPLANATIONS = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing here. It may have been deleted, or the address is wrong.",
    405: "That address does not accept this kind of request.",
    413: "That upload is too large.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Sorry, something went wrong on our side. Nothing you did caused it.",
}


def render_error(status: int, explanation: str | None = None, **context):
    ensure_url_adapter()
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Error"),
            explanation=explanation or EXPLANATIONS.get(status, ""),
            **navigation_without_database(),
            **context,
        ),
        status,
    )


def navigation_without_database() -> dict:
    """The navigation's user as far as this request already knows it.

    Flask-Login's template context loads the user from the database when this
    request has not yet; on an error page that may be what failed (or waits out
    SQLite's busy timeout a second time), so the user counts as anonymous for the
    rest of the request unless already loaded. The signed-in user is a plain
    object (auth/logins.py) and always usable; an ORM User (the request that
    logs in) whose attributes the rollback expired shows no email. A browser whose
    session says it is logged in still gets the logged-in links and the logout
    button.
    """
    user = g.get("_login_user")
    if user is None:
        g._login_user = login_manager.anonymous_user()
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    if state is None:
        usable = user is not None and user.is_authenticated
    else:
        usable = "email" not in state.unloaded
    return {
        "nav_user": user if usable else None,
        "nav_signed_in": usable or is_signed_in(),
    }


def is_signed_in() -> bool:
    """The session cookie carries a login (Flask-Login's `_user_id`)."""
    return "_user_id" in session


def ensure_url_adapter() -> None:
    """Paths for the page even when Flask could not bind one to the request.

    With TRUSTED_HOSTS set, a request for another host has no URL adapter, and
    `url_for` would fail; relative URLs need no host, so bind one to none.
    """
    ctx = request_ctx._get_current_object()
    if ctx.url_adapter is None:
        ctx.url_adapter = ctx.app.url_map.bind(
            "localhost.invalid", script_name=request.root_path or "/"
        )


def same_site_referrer() -> str | None:
    """The page the failed form came from, when it is on this site."""
    referrer = request.referrer or ""
    try:
        if not referrer.startswith(request.host_url):
            return None
    except SecurityError:  # an untrusted Host: nothing is this site
        return None
    path = "/" + referrer[len(request.host_url) :]
    return path if is_safe_next(path) else None


def try_loading_user() -> None:
    """Load the navigation's user, unless the database fails to answer."""
    if request.method not in READ_METHODS or "_login_user" in g:
        return
    try:
        current_user._get_current_object()  # Flask-Login loads it once a request
    except SQLAlchemyError:
        g.pop("_login_user", None)
        release_database_session()


def release_database_session() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        # The connection is gone: let the session drop it and answer anyway.
        db.session.close()


def handle_http_error(error: HTTPException):
    if (error.code or 500) < 500:
        try_loading_user()
    body, status = render_error(error.code or 500)
    response = make_response(body, status)
    # Keep headers such as Allow (405) and Retry-After (429).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_csrf_error(_error: CSRFError):
    return render_error(
        400,
        "This form has expired or was sent from another site, so nothing was saved. "
        "Go back, reload the page and try again.",
        retry_url=same_site_referrer(),
    )


def handle_server_error(_error: InternalServerError):
    release_database_session()
    return render_error(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
