"""Fixtures: a fresh app and database per test, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL; a client; an `auth` helper using the real forms.

The helpers these fixtures use, and the tests import, are in tests/helpers.py.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from flicklist.auth.passwords import hash_password
from flicklist.extensions import db
from tests.helpers import (
    BACKENDS,
    PASSWORD,
    TEST_DATABASE_URL,
    AuthActions,
    create_user,
    make_app,
)
from tests.servers import IN_CI


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
    app = make_app(database_url, instance_path=tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One hash for every seeded user (computed with the test's cheap parameters)."""
    app = make_app("sqlite://")
    with app.app_context():
        return hash_password(PASSWORD)


@pytest.fixture
def user_id(app, password_hash) -> int:
    """The id of ann@example.com, whose password is PASSWORD."""
    return create_user(app, "ann@example.com", password_hash)


@pytest.fixture
def logged_in(client, auth, user_id) -> FlaskClient:
    """A client logged in as ann@example.com."""
    response = auth.login()
    assert response.status_code in (302, 303)
    return client


def pytest_configure(config) -> None:
    # In CI a missing PostgreSQL run is a failure, not a quiet skip.
    if IN_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "CI=true but TEST_DATABASE_URL is not set: PostgreSQL run missing"
        )
