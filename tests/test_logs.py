"""No secret token in any log line: the error log's "Exception on ..." line, the
traceback, gunicorn's own lines (its access log included) and the request log."""

import logging
import secrets

import pytest

from flicklist.request_log import redact
from tests.helpers import make_app
from tests.servers import (
    PORTS,
    Browser,
    Gunicorn,
    app_environment,
    free_port,
    gunicorn_binary,
    require,
)


def closed_postgresql_url() -> str:
    return f"postgresql://nobody@127.0.0.1:{free_port(PORTS)}/flicklist"


def test_a_failing_share_page_logs_no_token(caplog):
    """The database fails under /share/<token>: Flask logs the exception, and
    neither its line nor the traceback may name the token."""
    app = make_app(closed_postgresql_url(), PROPAGATE_EXCEPTIONS=False)
    token = secrets.token_urlsafe(32)
    caplog.set_level(logging.INFO)
    response = app.test_client().get(f"/share/{token}?page=2")
    assert response.status_code == 500
    assert "Error 500" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Exception on /share/[redacted] [GET]" in caplog.messages
    assert "Traceback" in caplog.text and "OperationalError" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/share/abc", "/share/[redacted]"),
        ("/share/list/abc?page=2", "/share/list/[redacted]?page=2"),
        ("/password/reset/abc", "/password/reset/[redacted]"),
        ('"POST /webhooks/abc/plex HTTP/1.1" 200', '"POST /webhooks/[redacted]/plex'),
        ("GET /register?invite=abc&x=1", "GET /register?invite=[redacted]&x=1"),
        ("/account/share/delete", "/account/share/delete"),
    ],
)
def test_secret_parts_of_urls_are_blanked(line, expected):
    assert redact(line).startswith(expected)


@pytest.mark.slow
def test_gunicorn_writes_no_token_to_any_log(tmp_path):
    """`gunicorn wsgi:app` with its access log on, the database refusing: a share
    page that fails, a share link and an invite in the URL; the combined stdout
    and stderr holds none of the secrets."""
    require(gunicorn_binary(), "gunicorn is not installed")
    env = app_environment(closed_postgresql_url(), GUNICORN_ACCESS_LOG="true")
    share, listed, invite = (secrets.token_urlsafe(32) for _ in range(3))
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        browser = Browser(server.port)
        failed = browser.get(f"/share/{share}")
        assert failed.status == 500 and "Error 500" in failed.text
        assert failed.headers["X-Content-Type-Options"] == "nosniff"
        browser.get(f"/share/list/{listed}")
        browser.get(f"/register?invite={invite}")
    log = server.log_path.read_text()
    assert "Exception on /share/[redacted] [GET]" in log
    assert '"path": "/share/[redacted]"' in log  # the request log
    assert "GET /register?invite=[redacted]" in log  # gunicorn's access log
    for secret in (share, listed, invite):
        assert secret not in log
