"""Gunicorn settings for `gunicorn wsgi:app`, tuned by GUNICORN_* variables.

Every variable is read the way the app reads its FLASK_* settings (JSON where it
parses, else text: `true`, `4`, `127.0.0.1:8000`), and the app's own settings come
from the same reader with the defaults `config.py` declares.
"""

import os

from config import Config
from flicklist.gunicorn_worker import deadline_worker
from flicklist.settings import env_setting, parse_env_value


def gunicorn_setting(name: str, default):
    """GUNICORN_<NAME>, or the default when it is unset or blank."""
    value = os.environ.get(f"GUNICORN_{name}", "").strip()
    return parse_env_value(value) if value else default


def rate_limits_need_one_process() -> bool:
    """Rate limits on, counted in memory: only one process keeps them exact."""
    enabled = env_setting("RATELIMIT_ENABLED", Config.RATELIMIT_ENABLED)
    storage = str(env_setting("RATELIMIT_STORAGE_URI", Config.RATELIMIT_STORAGE_URI))
    return bool(enabled) and storage.startswith("memory://")


bind = str(gunicorn_setting("BIND", "127.0.0.1:8000")).split(",")

# By default: one process per CPU core's worth (2 x CPUs + 1) when rate-limit
# counters are shared (Redis), else one process with threads, so that the
# failed-login limit holds exactly without Redis too.
ONE_PROCESS = rate_limits_need_one_process()
workers = int(
    gunicorn_setting("WORKERS", 1 if ONE_PROCESS else 2 * (os.cpu_count() or 1) + 1)
)
threads = int(gunicorn_setting("THREADS", 8 if ONE_PROCESS else 1))
# More than one thread: gunicorn's gthread worker, with deadlines for reading a
# request (flicklist/gunicorn_worker.py), so that a few clients sending slowly
# cannot hold every thread. One thread: the sync worker, which gunicorn restarts
# when a request (a slow client's too) holds it past `timeout`.
header_timeout = float(gunicorn_setting("HEADER_TIMEOUT", 5))
body_timeout = float(gunicorn_setting("BODY_TIMEOUT", 60))
if threads > 1:
    worker_class = deadline_worker(header_timeout, body_timeout)
timeout = int(gunicorn_setting("TIMEOUT", 30))
graceful_timeout = int(gunicorn_setting("GRACEFUL_TIMEOUT", 30))
keepalive = int(gunicorn_setting("KEEPALIVE", 5))
proc_name = str(gunicorn_setting("PROC_NAME", "flicklist"))

# Load the app once in the master: a missing SECRET_KEY then stops gunicorn with
# the app's one-line message instead of a crash loop of workers, and workers
# start faster. Code changes need a restart (not a HUP) to take effect.
preload_app = True

# Every gunicorn of a user shares one default control socket path, so several
# servers on one machine would fight over it: off unless given a path of its own.
control_socket = str(gunicorn_setting("CONTROL_SOCKET", ""))
control_socket_disable = not control_socket

LOG_LEVEL = str(gunicorn_setting("LOG_LEVEL", "info")).upper()
# The app's request log (flicklist/request_log.py, one JSON line per request with
# the user id and no secrets) is the access log, on stdout; gunicorn's own access
# lines would repeat it with query strings, so they are on only when asked for.
# Every handler blanks secret tokens (share, reset, webhook, invite) out of what it
# writes: gunicorn's access lines and "Error handling request" carry the URL.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"},
        "message": {"format": "%(message)s"},
    },
    "filters": {"redact_secrets": {"()": "flicklist.request_log.RedactSecrets"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stderr",
            "filters": ["redact_secrets"],
        },
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stdout",
            "filters": ["redact_secrets"],
        },
        "requests": {
            "class": "logging.StreamHandler",
            "formatter": "message",
            "stream": "ext://sys.stdout",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"level": LOG_LEVEL, "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": LOG_LEVEL, "handlers": [], "propagate": True},
        # Alembic chats at INFO when imported; keep the first line of a failed
        # start the app's own message.
        "alembic": {"level": "WARNING"},
        "gunicorn.access": {
            "level": "INFO" if gunicorn_setting("ACCESS_LOG", False) else "WARNING",
            "handlers": ["stdout"],
            "propagate": False,
        },
        "flicklist.request": {
            "level": "INFO",
            "handlers": ["requests"],
            "propagate": False,
        },
    },
}


# Gunicorn drains at most 64 KiB of a body the app did not read (a 413 answered
# from Content-Length alone, a 400 before the form was parsed) and otherwise
# closes the connection after the answer, though the answer said keep-alive: the
# client's next request on it is then reset. So a request with a larger body, or
# a chunked one, ends its connection and its answer says `Connection: close`
# (one new connection after an upload costs nothing).
KEEP_ALIVE_BODY_MAX = 64 * 1024


def pre_request(worker, req) -> None:
    headers = dict(req.headers)  # names upper case
    length = headers.get("CONTENT-LENGTH", "0")
    chunked = "chunked" in headers.get("TRANSFER-ENCODING", "").lower()
    if chunked or not length.isdigit() or int(length) > KEEP_ALIVE_BODY_MAX:
        req.force_close()


def post_fork(server, worker) -> None:
    """Each worker opens its own database connections, never the master's."""
    from flicklist.extensions import db

    app = server.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # another WSGI app under the same settings (bench/bare_app.py)
    with app.app_context():
        for engine in db.engines.values():
            # close=False: the master's connections belong to the master.
            engine.dispose(close=False)


def on_starting(server) -> None:
    """Say so when the rate-limit counters cannot be shared by the workers."""
    if server.cfg.workers > 1 and ONE_PROCESS:
        server.log.warning(
            "rate limits count in memory, separately in each of %d workers; set "
            "FLASK_RATELIMIT_STORAGE_URI=redis://... so the login limit holds exactly",
            server.cfg.workers,
        )
