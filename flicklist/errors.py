"""The site's own pages for HTTP errors: never a stack trace."""

from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from flicklist.extensions import db
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
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Error"),
            explanation=explanation or EXPLANATIONS.get(status, ""),
            **context,
        ),
        status,
    )


def same_site_referrer() -> str | None:
    """The page the failed form came from, when it is on this site."""
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url):
        return None
    path = "/" + referrer[len(request.host_url) :]
    return path if is_safe_next(path) else None


def handle_http_error(error: HTTPException):
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
    db.session.rollback()
    # No user in the navigation: loading one may be what failed.
    return render_error(500, nav_user=None)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
