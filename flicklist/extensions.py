"""Extension objects, created bare here and bound to the app in create_app."""

from flask import Blueprint, current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from flicklist.db_session import RequestSession


class Base(DeclarativeBase):
    """Declarative base; its naming convention gives Alembic stable constraint names."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def client_address() -> str:
    """The client's address as ProxyFix resolved it (only trusted hops count)."""
    return request.remote_addr or "unknown"


def config_limit(key: str):
    """A Flask-Limiter limit read from the settings at each request."""
    return lambda: current_app.config[key]


# Objects stay usable after commit; each request is short and ends with its commit.
db = SQLAlchemy(
    model_class=Base,
    session_options={"expire_on_commit": False, "class_": RequestSession},
)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)


# Blueprints whose views carry no rate limit. Flask-Limiter checks every request for
# default and application limits, which FlickList does not set; that check costs as
# much as a cached list page's own work, so the busiest pages skip it.
# tests/test_security_ratelimit.py checks that no view here carries a limit.
UNLIMITED_BLUEPRINTS: set[str] = set()


def without_rate_limits(blueprint: Blueprint) -> Blueprint:
    UNLIMITED_BLUEPRINTS.add(blueprint.name)
    return blueprint


@limiter.request_filter
def in_unlimited_blueprint() -> bool:
    return request.blueprint in UNLIMITED_BLUEPRINTS
