"""App-wide behaviour: health, settings, the factory, the CLI, flash markup."""

import re
import subprocess
import sys

import flask_migrate
import pytest

from config import DevelopmentConfig, TestConfig
from flicklist import create_app
from flicklist.database import normalise_database_url
from flicklist.extensions import db
from tests.helpers import (
    create_movie,
    flash_text,
    make_app,
    make_production_app,
    post,
)


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_a_database_that_does_not_answer(tmp_path):
    app = make_app(
        "postgresql://nobody@127.0.0.1:9/none", instance_path=tmp_path / "instance"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_database_urls_are_normalised(url, expected):
    assert normalise_database_url(url) == expected


def test_development_needs_no_settings(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "FLASK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    instance = str(tmp_path / "instance")
    app = create_app(DevelopmentConfig, instance_path=instance)
    app2 = create_app(DevelopmentConfig, instance_path=instance)
    assert (
        app.config["SECRET_KEY"]
        and app.config["SECRET_KEY"] == app2.config["SECRET_KEY"]
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/flicklist.sqlite")


def test_settings_come_from_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_LOGIN_RATE_LIMIT", "3 per minute")
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    app = create_app(TestConfig, instance_path=str(tmp_path / "instance"))
    assert app.config["LOGIN_RATE_LIMIT"] == "3 per minute"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.sqlite"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0]


def test_debug_stays_off_in_production_whatever_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    url = f"sqlite:///{tmp_path}/db.sqlite"
    # Development honours FLASK_DEBUG (so this test would notice it being ignored)...
    development = create_app(
        DevelopmentConfig,
        {"SQLALCHEMY_DATABASE_URI": url},
        instance_path=str(tmp_path / "instance"),
    )
    assert development.debug
    # ...production never turns the debugger or exception propagation on.
    assert make_production_app(url).debug is False


def test_production_starts_with_secret_key(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
    }
    code = (
        "import wsgi; c = wsgi.app.config; "
        "print(c['SESSION_COOKIE_NAME'], c['SESSION_COOKIE_SECURE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["__Host-flicklist_session", "True"]


def test_flash_markup_follows_the_contract(logged_in):
    post(logged_in, "/movies", {"title": ""})
    html = logged_in.get("/").get_data(as_text=True)
    assert '<div role="alert">' in html and '<p class="flash flash-error">' in html


def test_cli_runner_works(runner):
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0


def test_page_number_and_sort_are_forgiving(app, logged_in, user_id):
    create_movie(app, user_id, "Alien", 1979)
    for query in ("?page=abc", "?page=-3", "?sort=bogus", "?page=99999999999999999999"):
        assert logged_in.get("/" + query).status_code == 200
    assert "nothing on this page" in logged_in.get("/?page=5").get_data(as_text=True)
    assert flash_text(logged_in.get("/")) == ""


def test_flask_run_on_a_fresh_checkout_creates_its_schema(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "FLASK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/fresh.sqlite")
    app = create_app(DevelopmentConfig, instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    response = client.post(
        "/register",
        data={
            "csrf_token": token.group(1),
            "email": "ann@example.test",
            "password": "correct horse battery",
            "verify": "correct horse battery",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        flask_migrate.check()  # the migrations made it, so nothing is left to do
        db.engine.dispose()
