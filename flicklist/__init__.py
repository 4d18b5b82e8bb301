"""FlickList: each person's own movie watchlist. `create_app` builds the application."""

from collections.abc import Mapping

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DevelopmentConfig
from flicklist import account, auth, movies, public, stats, transfer
from flicklist.auth.logins import load_user
from flicklist.converters import IdConverter
from flicklist.database import (
    configure_sqlite,
    ping_after_idle,
    register_empty_database_upgrade,
)
from flicklist.errors import register_error_handlers
from flicklist.extensions import csrf, db, limiter, login_manager, migrate
from flicklist.request_log import FlickList, register_request_log
from flicklist.security import register_security_headers
from flicklist.settings import configure
from flicklist.templating import register_template_helpers

BLUEPRINTS = (auth.bp, account.bp, movies.bp, stats.bp, transfer.bp, public.bp)


def create_app(
    config_class: type = DevelopmentConfig,
    overrides: Mapping | None = None,
    *,
    instance_path: str | None = None,
) -> Flask:
    """Build the app: settings from the class, the environment, then `overrides`."""
    app = FlickList(
        __name__, instance_path=instance_path, instance_relative_config=True
    )
    configure(app, config_class, overrides)
    if app.config["PROXY_FIX_HOPS"]:
        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["id"] = IdConverter
    # The order of the before_request hooks matters: the request log's timer
    # first, then the import route's larger body limit, which must be set before
    # CSRFProtect (registered with the extensions) reads the form.
    register_request_log(app)
    register_import_body_limit(app)
    register_empty_database_upgrade(app)
    register_extensions(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    return app


def register_import_body_limit(app: Flask) -> None:
    """The import route takes a larger body than every other route."""
    import_endpoint = f"{transfer.bp.name}.import_file"

    @app.before_request
    def allow_large_imports() -> None:
        if request.endpoint == import_endpoint:
            request.max_content_length = app.config["IMPORT_MAX_CONTENT_LENGTH"]
            request.max_form_memory_size = app.config["IMPORT_MAX_CONTENT_LENGTH"]


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        else:
            ping_after_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
