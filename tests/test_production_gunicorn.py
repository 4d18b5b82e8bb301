"""`gunicorn wsgi:app` itself: no start without a secret, a start without a DB."""

import json
import os
import subprocess

import pytest
import sqlalchemy as sa

from tests.servers import (
    GUNICORN_PORTS,
    ROOT,
    Browser,
    Gunicorn,
    app_environment,
    free_port,
    gunicorn_binary,
    release,
    require,
)

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def needs_gunicorn():
    require(gunicorn_binary(), "gunicorn is not installed")


def test_gunicorn_without_secret_key_exits_with_one_line(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{tmp_path}/flicklist.sqlite",
        "GUNICORN_BIND": f"127.0.0.1:{free_port(GUNICORN_PORTS)}",
    }
    result = subprocess.run(
        [gunicorn_binary(), "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]


def test_gunicorn_starts_while_the_database_is_down(tmp_path):
    closed_port = free_port(GUNICORN_PORTS)
    url = f"postgresql://nobody@127.0.0.1:{closed_port}/flicklist"
    server = Gunicorn(app_environment(url), tmp_path / "gunicorn.log").start()
    try:
        browser = Browser(server.port)
        health = browser.get("/healthz")
        assert health.status == 503
        assert json.loads(health.text) == {"status": "error"}
        assert browser.get("/login").status == 200
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    health_records = [r for r in records if r["path"] == "/healthz"]
    assert health_records and health_records[0]["status"] == 503
    assert health_records[0]["method"] == "GET"
    assert isinstance(health_records[0]["duration_ms"], float)


def test_gunicorn_never_creates_the_schema(tmp_path):
    """`flask db upgrade` is the only way to a schema, never a worker's import."""
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    server = Gunicorn(app_environment(url), tmp_path / "gunicorn.log").start()
    try:
        assert Browser(server.port).get("/healthz").status == 200
    finally:
        server.stop()
    engine = sa.create_engine(url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_the_default_server_holds_the_login_limit_without_redis(tmp_path):
    """Plain `gunicorn wsgi:app`, memory counters: the 11th failure is a 429."""
    database = f"sqlite:///{tmp_path}/flicklist.sqlite"
    env = app_environment(database)
    del env["GUNICORN_WORKERS"]  # gunicorn.conf.py's own default
    release(database)
    server = Gunicorn(env, tmp_path / "gunicorn.log").start()
    try:
        # Each attempt on new connections, which gunicorn spreads over its workers.
        statuses = [
            Browser(server.port).login("nobody@example.com", "wrong password").status
            for _ in range(11)
        ]
        assert statuses == [200] * 10 + [429], statuses
    finally:
        server.stop()
