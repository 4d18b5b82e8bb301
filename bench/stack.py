"""What the benchmark runs on: databases, seeded accounts, servers, their settings."""

import os
import sys
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, session
from flask_wtf.csrf import generate_csrf

from bench.client import USER_AGENT
from bench.seed import PASSWORD, seed_user
from config import ProductionConfig
from flicklist import create_app
from flicklist.auth.logins import start_session
from flicklist.auth.passwords import hash_password
from flicklist.database import normalise_database_url
from flicklist.extensions import db
from flicklist.models import User
from tests.servers import (
    Gunicorn,
    free_port,
    release,
    reset_postgresql,
    rss_mib,
    worker_pids,
)

SECRET = "bench-secret-key-" + "x" * 32
POSTGRESQL_URL = os.environ.get(
    "BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/flicklist_bench"
)
# The server that renders every list page anew.
LIST_CACHE_OFF = {"FLASK_LIST_CACHE_ENTRIES": "0"}


def gunicorn_options(workers: int = 2) -> tuple[str, ...]:
    """Sync workers of one thread, whatever gunicorn.conf.py defaults to."""
    return ("--workers", str(workers), "--worker-class", "sync", "--threads", "1")


# What the servers run with beyond the production defaults: plain http on loopback,
# so the browser-facing cookies cannot be Secure, and no proxy in front.
SETTINGS = {
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "PROXY_FIX_HOPS": 0,
}


@dataclass(frozen=True)
class Accounts:
    """Who the benchmark logs in as; each size is one account with that many movies."""

    sizes: tuple[int, ...]
    many: int  # accounts of MANY_MOVIES movies each, for requests spread over all
    many_movies: int = 200
    extra: tuple[str, ...] = field(default=())  # empty accounts (the imports')

    @staticmethod
    def sized(size: int) -> str:
        return f"user{size}@bench.example"

    @staticmethod
    def spread(number: int) -> str:
        return f"many{number}@bench.example"

    WRITER = "writer@bench.example"  # adds movies
    MARKER = "marker@bench.example"  # marks its movies watched
    RATER = "rater@bench.example"  # rates its watched movies


def postgresql_answers(url: str = POSTGRESQL_URL) -> bool:
    """True when the benchmark's PostgreSQL database exists or can be made."""
    url = normalise_database_url(url)
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(
        sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": name},
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        admin.dispose()


def server_env(database_url: str) -> dict:
    """The environment a benchmarked server starts with (no FLASK_ settings leak in)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLASK_") and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    env.update(
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        GUNICORN_LOG_LEVEL="warning",
        **{f"FLASK_{key}": str(value).lower() for key, value in SETTINGS.items()},
    )
    return env


def gunicorn(database_url: str, app: str = "wsgi:app", **env: str) -> Gunicorn:
    """A gunicorn master with 2 sync workers on a free port, under the project's
    gunicorn.conf.py (so FlickList pays for its request log, sent nowhere here)."""
    return Gunicorn(
        {**server_env(database_url), **env},
        None,
        port=free_port(),
        app=app,
        options=gunicorn_options(),
    )


def bench_app(database_url: str, **overrides) -> Flask:
    """The app in this process, configured as the servers are."""
    return create_app(
        ProductionConfig,
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PREFERRED_URL_SCHEME": "http",
            **SETTINGS,
            **overrides,
        },
    )


def reset_database(database_url: str) -> None:
    """An empty database with the schema the release step makes."""
    if database_url.startswith("postgres"):
        reset_postgresql(database_url)
    release(database_url)


def seed_database(database_url: str, accounts: Accounts) -> dict[str, int]:
    """Every account the scenarios use; returns their ids by email."""
    app = bench_app(database_url)
    started = time.perf_counter()
    ids = {}
    with app.app_context():
        shared_hash = hash_password(PASSWORD)

        def add(email: str, movies: int, seed: int = 1, watched_share: int = 5) -> None:
            ids[email] = seed_user(
                email,
                movies,
                seed,
                watched_share=watched_share,
                password_hash=shared_hash,
            )

        for size in accounts.sizes:
            add(Accounts.sized(size), size, seed=size)
        add(Accounts.WRITER, 0)
        add(Accounts.MARKER, accounts.sizes[-2], watched_share=10**9)
        add(Accounts.RATER, accounts.sizes[-2], watched_share=1)
        for number in range(accounts.many):
            add(Accounts.spread(number), accounts.many_movies, seed=number)
        for email in accounts.extra:
            add(email, 0)
        db.engine.dispose()
    print(f"bench: seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return ids


def session_cookies(database_url: str, user_ids: list[int]) -> list[str]:
    """A logged-in session cookie for each user, minted in this process.

    Each is a real login (a server-side session record and the signed cookie a
    browser would hold), without checking the password a thousand times.
    """
    app = bench_app(database_url)
    cookies = []
    for user_id in user_ids:
        # A request context of its own each (and so its own `g`): Flask-Login
        # keeps the current user there, and start_session ends the current login.
        with app.test_request_context(
            "/login",
            method="POST",
            headers={"User-Agent": USER_AGENT},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ):
            start_session(db.session.get(User, user_id))
            # As a browser's first page does: the CSRF secret joins the session,
            # so later pages leave the cookie alone.
            generate_csrf()
            response = app.response_class()
            app.session_interface.save_session(app, session, response)
            cookies.append(response.headers["Set-Cookie"].split(";", 1)[0])
    with app.app_context():
        db.engine.dispose()
    return cookies


def max_worker_rss(master) -> float:
    return max((rss_mib(pid) for pid in worker_pids(master)), default=0.0)


class PeakMemory:
    """Poll the workers' RSS while something runs; report the largest growth."""

    def __init__(self, master):
        self.pids = worker_pids(master)
        self.before = {pid: rss_mib(pid) for pid in self.pids}
        self.peak = dict(self.before)
        self.running = True
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def poll(self) -> None:
        while self.running:
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mib(pid))
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()

    @property
    def growth_mib(self) -> float:
        return max(self.peak[pid] - self.before[pid] for pid in self.pids)
