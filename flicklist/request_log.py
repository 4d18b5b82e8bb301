"""One structured log line per request (method, path, status, duration, user id),
and no secret token in any log line."""

import json
import logging
import re
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, g, request

logger = logging.getLogger("flicklist.request")

# Parts of a path that are secrets in themselves (share links): never logged.
SECRET_VIEW_ARGS = ("token",)
# The same secrets where no route names them: gunicorn's own lines (its access log
# and "Error handling request" carry the request line), paths that matched no
# route. Share and list links, reset links, webhook addresses, invite codes.
SECRET_IN_URL = re.compile(
    r"((?<!/account)/share/(?:list/)?|/password/reset/|/webhooks/|[?&]invite=)"
    r"[^/?&#\s\"']+"
)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def redact(text: str) -> str:
    """The text with every secret part of a URL in it blanked out."""
    return SECRET_IN_URL.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """A logging filter that blanks secrets out of a record's message and traceback.

    On a logger it sees what that logger logs; on a handler (gunicorn.conf.py puts
    it on every one) it sees every line written there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text, so the traceback is written redacted too.
            record.exc_text = redact(FORMATTER.formatException(record.exc_info))
        return True


FORMATTER = logging.Formatter()
REDACT_SECRETS = RedactSecrets()


class FlickList(Flask):
    """Flask, whose "Exception on <path>" line names the path as the request log
    does: a failing /share/<token> must not write its token to the error log."""

    def log_exception(self, exc_info) -> None:
        self.logger.error(
            f"Exception on {logged_path()} [{request.method}]", exc_info=exc_info
        )


def start_timer() -> None:
    g.request_started = time.perf_counter()


def logged_path() -> str:
    """The path without its query string, with secret path parts blanked out."""
    path = request.path
    for name in SECRET_VIEW_ARGS:
        value = (request.view_args or {}).get(name)
        if value:
            path = path.replace(str(value), "[redacted]")
    return redact(path)


def logged_user_id() -> int | None:
    """The user id when this request loaded its user; never loads it just to log.

    Flask-Login keeps the loaded user in `g._login_user`; static files and failed
    requests must not pay for (or fail on) a database query here. A request's
    signed-in user is a plain object (auth/logins.py); the ORM User that logging
    in loads gives its id from the identity map, not the attribute: after a failed
    request's rollback reading `user.id` would query the database again.
    """
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return None  # anonymous, or nobody loaded
    state = sa.inspect(user, raiseerr=False)
    if state is None:
        return user.id
    return state.identity[0] if state.identity else None


def request_record(response: Response) -> dict:
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started else None
    request_id = request.headers.get("X-Request-ID", "")
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": request.method,
        "path": logged_path(),
        "status": response.status_code,
        "duration_ms": round(duration, 1) if duration is not None else None,
        "user_id": logged_user_id(),
        "ip": request.remote_addr,
        "request_id": request_id if REQUEST_ID.fullmatch(request_id) else None,
    }


def log_request(response: Response) -> Response:
    if logger.isEnabledFor(logging.INFO):
        logger.info(json.dumps(request_record(response)))
    return response


def register_request_log(app: Flask) -> None:
    """Time every request and log it once its response is ready.

    Gunicorn's config sends this logger to stdout; elsewhere it stays quiet
    unless logging is configured for it.
    """
    # Registered before any other hook (see create_app), so the time counts them.
    app.before_request(start_timer)
    app.after_request(log_request)
    # No secret in the app's own lines, nor in the development server's request
    # lines (gunicorn's are filtered by gunicorn.conf.py). One filter object, so
    # building many apps in one process adds it once.
    app.logger.addFilter(REDACT_SECRETS)
    logging.getLogger("werkzeug").addFilter(REDACT_SECRETS)
