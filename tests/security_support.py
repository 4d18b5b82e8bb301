"""Helpers shared by the security tests: a production app and requests over https."""

from flask import Flask

from config import ProductionConfig
from flicklist import create_app
from tests.conftest import CSRF_PATTERN, PASSWORD

HTTPS = "https://localhost"


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
