"""Helpers shared by the tests: apps, forms with their CSRF token, seeded data, reads.

Fixtures and hooks live in conftest.py; servers (gunicorn, nginx, Redis) in
servers.py; browser helpers in e2e/helpers.py.
"""

import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from config import ProductionConfig, TestConfig
from flicklist import create_app
from flicklist.extensions import db
from flicklist.models import Movie, ShareLink, User, UserSession, Viewing
from flicklist.movies.changes import record_viewing

PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
HTTPS = "https://localhost"

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
# For a test with nothing to prove on SQLite: run on PostgreSQL when it is configured.
postgresql_only = pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set"
            ),
        )
    ],
    indirect=True,
)


# Apps


@cache
def scratch_instance() -> Path:
    """An instance folder outside the checkout, for apps whose test gives none."""
    return Path(tempfile.mkdtemp(prefix="flicklist-instance-"))


def make_app(
    database_url: str, *, instance_path: Path | None = None, **overrides
) -> Flask:
    return create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": database_url, **overrides},
        instance_path=str(instance_path or scratch_instance()),
    )


def make_production_app(
    database_url: str, *, instance_path: Path | None = None, **overrides
) -> Flask:
    """`wsgi:app`'s settings, with a key, the test database and cheap hashes."""
    settings = {
        "SECRET_KEY": "x" * 64,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST_KIB": 64,
        "RATELIMIT_ENABLED": False,
    }
    return create_app(
        ProductionConfig,
        settings | overrides,
        instance_path=str(instance_path or scratch_instance()),
    )


# Forms, as a browser fills them


def csrf_token(client: FlaskClient, path: str | None = None) -> str:
    """Read a fresh CSRF token from a page, as a browser would.

    Without a path: the account page when logged in, else the login page.
    """
    response = client.get(path or "/account")
    if path is None and response.status_code != 200:
        response = client.get("/login")
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post(client: FlaskClient, path: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, read from a page first."""
    return client.post(
        path, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs
    )


def upload(client: FlaskClient, content: bytes, filename: str, **fields):
    """POST a file to /import as a browser would (the body built in memory: the test
    client would otherwise spool a large one to a temporary file it never closes)."""
    values = {"csrf_token": csrf_token(client), **fields}
    values["file"] = FileStorage(io.BytesIO(content), filename, "file", "text/csv")
    boundary, body = encode_multipart(values)
    return client.post(
        "/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def https_token(client: FlaskClient, path: str) -> str:
    match = CSRF_PATTERN.search(client.get(path, base_url=HTTPS).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def https_post(client: FlaskClient, path: str, data: dict, token_from: str):
    """POST over https with a token and the Referer Flask-WTF's strict check wants."""
    return client.post(
        path,
        data={"csrf_token": https_token(client, token_from), **data},
        base_url=HTTPS,
        headers={"Referer": HTTPS + token_from},
    )


def https_login(client: FlaskClient, remember: bool = True):
    data = {"email": "ann@example.com", "password": PASSWORD}
    return https_post(
        client, "/login", data | ({"remember": "y"} if remember else {}), "/login"
    )


class AuthActions:
    """Register, log in and log out through the real forms."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def register(
        self,
        email: str = "ann@example.com",
        password: str = PASSWORD,
        verify: str | None = None,
        **kwargs,
    ):
        return self.client.post(
            "/register",
            data={
                "csrf_token": csrf_token(self.client, "/register"),
                "email": email,
                "password": password,
                "verify": password if verify is None else verify,
            },
            **kwargs,
        )

    def login(
        self,
        email: str = "ann@example.com",
        password: str = PASSWORD,
        remember: bool = False,
        next: str | None = None,
        **kwargs,
    ):
        data = {
            "csrf_token": csrf_token(self.client, "/login"),
            "email": email,
            "password": password,
        }
        if remember:
            data["remember"] = "y"
        path = "/login" if next is None else f"/login?next={next}"
        return self.client.post(path, data=data, **kwargs)

    def logout(self, **kwargs):
        return post(self.client, "/logout", **kwargs)


# What a page shows


def flashes(response) -> list[tuple[str, str]]:
    """(category, text) of each flash message on a page."""
    html = response.get_data(as_text=True)
    return re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', html, re.S)


def flash_text(response) -> str:
    return " | ".join(text for _, text in flashes(response))


def listed_titles(response) -> list[str]:
    """The (still HTML-escaped) titles shown in a movie list."""
    html = response.get_data(as_text=True)
    return re.findall(r'class="movie-title" href="[^"]*">(.*?)</a>', html, re.S)


IMPORT_COUNTS = re.compile(
    r"(?P<added>\d+) added, (?P<skipped>\d+) skipped \((?P<duplicates>\d+) already "
    r"on your list, (?P<updated>\d+) of them updated; (?P<not_films>\d+) not "
    r"(?:a film|films)\), (?P<rejected>\d+) rejected"
)


def import_counts(page) -> dict[str, int]:
    """The numbers in the import's flash message."""
    match = IMPORT_COUNTS.search(flash_text(page))
    assert match, flash_text(page)
    return {name: int(number) for name, number in match.groupdict().items()}


# Seeded data


def create_user(app: Flask, email: str, password_hash: str) -> int:
    with app.app_context():
        user = User(email=email, password_hash=password_hash)
        db.session.add(user)
        db.session.commit()
        return user.id


def create_movie(
    app: Flask,
    user_id: int,
    title: str,
    year: int | None = None,
    viewings: Sequence[date | None] = (),
    **fields,
) -> int:
    """A movie, watched once per item of `viewings` (a date, or None for undated).

    The viewings go through the app's own record_viewing, so the watched flag,
    count and latest date are what the app would store.
    """
    with app.app_context():
        movie = Movie(
            user_id=user_id,
            title=title,
            year=year,
            **fields,
        )
        db.session.add(movie)
        db.session.flush()
        for watched_on in viewings:
            record_viewing(movie, watched_on)
        db.session.commit()
        return movie.id


def seed(app: Flask, user_id: int, title: str) -> dict[str, int]:
    """A watched movie with one viewing: every movie route has something to act on."""
    movie_id = create_movie(app, user_id, title, 1999)
    with app.app_context():
        movie = db.session.get(Movie, movie_id)
        viewing = record_viewing(movie, date(2020, 1, 1))
        db.session.commit()
        return {"movie_id": movie_id, "viewing_id": viewing.id}


# Reads from the database


def get_movie(app: Flask, movie_id: int) -> Movie | None:
    with app.app_context():
        return db.session.get(Movie, movie_id)


def stored_hash(app: Flask, email: str = "ann@example.com") -> str | None:
    """The password hash stored for a user."""
    with app.app_context():
        return db.session.scalar(
            sa.select(User.password_hash).where(User.email == email)
        )


def stored_movies(app: Flask) -> dict:
    """Each movie as (title, year) -> (watched, viewing dates, rating, note)."""
    with app.app_context():
        result = {}
        for movie in db.session.scalars(sa.select(Movie).order_by(Movie.id)):
            dates = sorted(
                (v.watched_on for v in movie.viewings), key=lambda d: d or date.min
            )
            result[(movie.title, movie.year)] = (
                movie.watched,
                dates,
                movie.rating,
                movie.note,
            )
        return result


def snapshot(app: Flask, user_id: int) -> list[tuple]:
    """Everything stored for one user, to compare before and after."""
    with app.app_context():
        rows: list[tuple] = []
        for model in (User, Movie, UserSession, ShareLink):
            owner = model.id if model is User else model.user_id
            for record in db.session.scalars(sa.select(model).where(owner == user_id)):
                rows.append(row_values(record))
        viewings = sa.select(Viewing).join(Movie).where(Movie.user_id == user_id)
        rows += [row_values(viewing) for viewing in db.session.scalars(viewings)]
        return sorted(rows, key=repr)


def row_values(record) -> tuple:
    columns = record.__table__.columns
    return (type(record).__name__, *(getattr(record, c.key) for c in columns))


@contextmanager
def recorded_statements(app: Flask, keep: Callable) -> Iterator[list]:
    """What `keep(statement, parameters, executemany)` returns for each statement
    sent to the database inside the block, where it returns something."""
    found: list = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        kept = keep(statement, parameters, executemany)
        if kept is not None:
            found.append(kept)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def counting_queries(app: Flask):
    """Every SQL statement sent to the database inside the block.

    Transaction control (BEGIN) is not a query: SQLite's is sent as a statement
    (flicklist/database.py), PostgreSQL's is not, so counting it would make the
    two backends disagree.
    """
    return recorded_statements(
        app,
        lambda statement, *_: (
            None if statement.lstrip().upper().startswith("BEGIN") else statement
        ),
    )


def recorded_begins(app: Flask):
    """The BEGIN statements sent inside the block: how SQLite's transactions start
    (BEGIN, or BEGIN IMMEDIATE for a writer; flicklist/database.py)."""
    return recorded_statements(
        app, lambda statement, *_: statement if statement.startswith("BEGIN") else None
    )


# What every answer carries


def assert_security_headers(response) -> None:
    """The browser protections every answer carries, error pages included."""
    headers = response.headers
    csp = [part.strip() for part in headers["Content-Security-Policy"].split(";")]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Flask-WTF's https referer check needs the Referer on same-origin POSTs.
    assert headers["Referrer-Policy"] in (
        "strict-origin-when-cross-origin",
        "same-origin",
    )


def assert_site_error_page(response, status: int) -> None:
    """The site's own error page for `status`: no traceback, the usual headers."""
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f"Error {status}" in html and "</html>" in html
    assert "Traceback" not in html and "werkzeug" not in html.lower()
    assert_security_headers(response)
