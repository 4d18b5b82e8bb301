"""FlickList: each person's own movie watchlist. `create_app` builds the application."""

import os
import secrets
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DevelopmentConfig, TestConfig
from flicklist import errors, public
from flicklist.converters import IdConverter
from flicklist.database import (
    configure_sqlite,
    default_sqlite_url,
    engine_options,
    normalise_database_url,
)
from flicklist.dev_schema import register_empty_database_upgrade
from flicklist.extensions import csrf, db, limiter, login_manager, migrate
from flicklist.request_log import register_request_log
from flicklist.security import register_security_headers
from flicklist.sessions import load_user
from flicklist.static_files import register_static_versions
from flicklist.templating import register_template_helpers

DURATION_SETTINGS = (
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ABSOLUTE_TIMEOUT",
    "SESSION_TOUCH_INTERVAL",
    "REMEMBER_COOKIE_DURATION",
)


def create_app(
    config_class: type | Mapping | None = None, overrides: Mapping | None = None
) -> Flask:
    """Build the app: settings from the class, the environment, then `overrides`.

    Like Flask's tutorial, a mapping alone is accepted too: `create_app({"TESTING":
    True, ...})` starts from TestConfig (or DevelopmentConfig) and applies it.
    """
    if isinstance(config_class, Mapping):
        overrides = {**config_class, **(overrides or {})}
        config_class = TestConfig if overrides.get("TESTING") else DevelopmentConfig
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class or DevelopmentConfig)
    load_environment(app)
    app.config.update(overrides or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    ensure_secret_key(app)
    if not app.config["DEBUG_ALLOWED"]:
        # FLASK_DEBUG=1 left in a production environment must not turn debug on.
        app.config["DEBUG"] = False
    configure_database_url(app)
    secure_cookie_names(app)
    normalise_durations(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["id"] = IdConverter
    register_request_log(app)
    register_request_limits(app)
    register_empty_database_upgrade(app)
    register_extensions(app)
    register_blueprints(app)
    errors.register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_static_versions(app)
    return app


def load_environment(app: Flask) -> None:
    """SECRET_KEY and DATABASE_URL by their own names; anything else as FLASK_<KEY>."""
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env()
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]


def ensure_secret_key(app: Flask) -> None:
    """Production demands SECRET_KEY; development keeps one in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("REQUIRE_SECRET_KEY"):
        print(
            "error: SECRET_KEY is not set; set the SECRET_KEY environment variable "
            "to a long random string (python -c 'import secrets; "
            "print(secrets.token_hex(32))')",
            file=sys.stderr,
        )
        raise SystemExit(1)
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def configure_database_url(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or default_sqlite_url(app)
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


def register_request_limits(app: Flask) -> None:
    """Allow the larger body on the import route, before CSRFProtect reads the form."""

    @app.before_request
    def allow_large_imports() -> None:
        if request.endpoint == "movies.import_file":
            request.max_content_length = app.config["IMPORT_MAX_CONTENT_LENGTH"]
            request.max_form_memory_size = app.config["IMPORT_MAX_CONTENT_LENGTH"]


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def register_blueprints(app: Flask) -> None:
    from flicklist import auth, movies

    app.register_blueprint(auth.bp)
    app.register_blueprint(movies.bp)
    app.register_blueprint(public.bp)
