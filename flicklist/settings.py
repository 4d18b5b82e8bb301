"""Reading and finishing the settings: the class, the environment, then overrides.

`config.py` declares the settings and their defaults; this module is the one place
that reads the environment (gunicorn.conf.py reads it through `env_setting` too) and
turns what it read into what the code expects.
"""

import json
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from flicklist.database import (
    default_sqlite_url,
    engine_options,
    normalise_database_url,
)

ENV_PREFIX = "FLASK_"
DURATION_SETTINGS = (
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ABSOLUTE_TIMEOUT",
    "SESSION_TOUCH_INTERVAL",
    "REMEMBER_COOKIE_DURATION",
)


class SettingsError(RuntimeError):
    """A setting the app cannot start without is missing; the message names it."""


def parse_env_value(value: str) -> Any:
    """An environment value as Flask's `from_prefixed_env` reads it: JSON, else text.

    For gunicorn.conf.py, which runs before any app exists.
    """
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def env_setting(key: str, default: Any) -> Any:
    """The `FLASK_<KEY>` variable read the way the app reads it, or the default."""
    value = os.environ.get(ENV_PREFIX + key)
    return default if value is None else parse_env_value(value)


def configure(app: Flask, config_class: type, overrides: Mapping | None) -> None:
    """Settings from the class, the environment, then `overrides`; then finished."""
    app.config.from_object(config_class)
    load_environment(app)
    app.config.update(overrides or {})
    ensure_secret_key(app)
    if not app.config["DEBUG_ALLOWED"]:
        # FLASK_DEBUG=1 left in a production environment must not turn debug on.
        app.config["DEBUG"] = False
    configure_database_url(app)
    secure_cookie_names(app)
    normalise_durations(app)
    normalise_site_address(app)


def load_environment(app: Flask) -> None:
    """SECRET_KEY and DATABASE_URL by their own names; anything else as FLASK_<KEY>."""
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env(ENV_PREFIX.rstrip("_"))
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]


def ensure_secret_key(app: Flask) -> None:
    """Production demands SECRET_KEY; development keeps one in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["REQUIRE_SECRET_KEY"]:
        raise SettingsError(
            "SECRET_KEY is not set; set the SECRET_KEY environment variable "
            "to a long random string (python -c 'import secrets; "
            "print(secrets.token_hex(32))')"
        )
    key_file = instance_folder(app) / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def instance_folder(app: Flask) -> Path:
    """The instance folder, made when a default first needs it (never in production,
    where the environment names the key and the database)."""
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def configure_database_url(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or default_sqlite_url(
        instance_folder(app)
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)


def secure_cookie_names(app: Flask) -> None:
    """Browsers drop `__Host-` cookies that are not Secure, so drop the prefix then."""
    for prefix in ("SESSION", "REMEMBER"):
        name = app.config[f"{prefix}_COOKIE_NAME"]
        if name.startswith("__Host-") and not app.config[f"{prefix}_COOKIE_SECURE"]:
            app.config[f"{prefix}_COOKIE_NAME"] = name.removeprefix("__Host-")


def normalise_durations(app: Flask) -> None:
    """Durations from the environment arrive as seconds; the code wants timedelta."""
    for key in DURATION_SETTINGS:
        value = app.config[key]
        if not isinstance(value, timedelta):
            app.config[key] = timedelta(seconds=float(value))


def normalise_site_address(app: Flask) -> None:
    """TRUSTED_HOSTS as a list (the environment may give `a.example,b.example`);
    BASE_URL checked and without its trailing slash."""
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]
    base_url = app.config.get("BASE_URL")
    if not base_url:
        app.config["BASE_URL"] = None
        return
    parts = urlsplit(str(base_url))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SettingsError(
            f"FLASK_BASE_URL must be the site's address, e.g. "
            f"https://films.example.org, not {base_url!r}"
        )
    app.config["BASE_URL"] = str(base_url).rstrip("/")
