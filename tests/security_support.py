"""Helpers shared by the security tests: seeded data, a production app, https."""

from datetime import date

import sqlalchemy as sa
from flask import Flask

from config import ProductionConfig
from flicklist import create_app
from flicklist.extensions import db
from flicklist.models import Movie, ShareLink, User, UserSession, Viewing
from flicklist.movies.changes import record_viewing
from tests.conftest import CSRF_PATTERN, PASSWORD, create_movie

HTTPS = "https://localhost"
PORTS = range(5100, 5200)  # the ports this work may use


def make_production_app(database_url: str, **overrides) -> Flask:
    """`wsgi:app`'s settings, with a key, the test database and cheap hashes."""
    settings = {
        "SECRET_KEY": "x" * 64,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST_KIB": 64,
        "RATELIMIT_ENABLED": False,
    }
    return create_app(ProductionConfig, settings | overrides)


def https_token(client, path: str) -> str:
    match = CSRF_PATTERN.search(client.get(path, base_url=HTTPS).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def https_post(client, path: str, data: dict, token_from: str):
    """POST over https with a token and the Referer Flask-WTF's strict check wants."""
    return client.post(
        path,
        data={"csrf_token": https_token(client, token_from), **data},
        base_url=HTTPS,
        headers={"Referer": HTTPS + token_from},
    )


def https_login(client, remember: bool = True):
    data = {"email": "ann@example.com", "password": PASSWORD}
    return https_post(
        client, "/login", data | ({"remember": "y"} if remember else {}), "/login"
    )


def seed(app: Flask, user_id: int, title: str) -> dict[str, int]:
    """A watched movie with one viewing: every movie route has something to act on."""
    movie_id = create_movie(app, user_id, title, 1999)
    with app.app_context():
        movie = db.session.get(Movie, movie_id)
        viewing = record_viewing(movie, date(2020, 1, 1))
        db.session.commit()
        return {"movie_id": movie_id, "viewing_id": viewing.id}


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
