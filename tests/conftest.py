"""Fixtures: a fresh app and database per test, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL; a client; an `auth` helper using the real forms."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from config import TestConfig
from flicklist import create_app
from flicklist.auth.passwords import hash_password
from flicklist.extensions import db
from flicklist.models import Movie, User, title_key

PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def make_app(database_url: str, **overrides) -> Flask:
    return create_app(
        TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database made once by the migrations, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    """The PostgreSQL test database, migrated once; tests empty it before they run."""
    app = make_app(TEST_DATABASE_URL)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return TEST_DATABASE_URL


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "flicklist.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgresql_url")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    app = make_app(database_url)
    app.instance_path = str(tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


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


def flashes(response) -> list[tuple[str, str]]:
    """(category, text) of each flash message on a page."""
    html = response.get_data(as_text=True)
    return re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', html, re.S)


def flash_text(response) -> str:
    return " | ".join(text for _, text in flashes(response))


class AuthActions:
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


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One hash for every seeded user (computed with the test's cheap parameters)."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        return hash_password(PASSWORD)


def create_user(app: Flask, email: str, password_hash: str) -> int:
    with app.app_context():
        user = User(email=email, password_hash=password_hash)
        db.session.add(user)
        db.session.commit()
        return user.id


def create_movie(
    app: Flask, user_id: int, title: str, year: int | None = None, **fields
) -> int:
    with app.app_context():
        movie = Movie(
            user_id=user_id,
            title=title,
            title_key=title_key(title),
            year=year,
            **fields,
        )
        db.session.add(movie)
        db.session.commit()
        return movie.id


@pytest.fixture
def user(app, password_hash) -> int:
    return create_user(app, "ann@example.com", password_hash)


@pytest.fixture
def logged_in(client, auth, user) -> FlaskClient:
    """A client logged in as ann@example.com."""
    response = auth.login()
    assert response.status_code in (302, 303)
    return client


def listed_titles(response) -> list[str]:
    """The (still HTML-escaped) titles shown in a movie list."""
    html = response.get_data(as_text=True)
    return re.findall(r'class="movie-title" href="[^"]*">(.*?)</a>', html, re.S)


def pytest_configure(config) -> None:
    # In CI a missing PostgreSQL run is a failure, not a quiet skip.
    if os.environ.get("CI") == "true" and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "CI=true but TEST_DATABASE_URL is not set: PostgreSQL run missing"
        )
