"""The structured request log and the versioned static URLs."""

import json
import logging
import re

import pytest

from tests.helpers import PASSWORD, post


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="flicklist.request")

    def records() -> list[dict]:
        return [
            json.loads(record.getMessage())
            for record in caplog.records
            if record.name == "flicklist.request"
        ]

    return records


def test_each_request_is_logged_once_with_its_user(logged_in, user_id, request_log):
    logged_in.get("/?q=private+words", headers={"X-Request-ID": "abc-123"})
    record = request_log()[-1]
    assert record["method"] == "GET"
    assert record["path"] == "/"
    assert record["status"] == 200
    assert record["user_id"] == user_id
    assert record["duration_ms"] >= 0
    assert record["request_id"] == "abc-123"
    assert set(record) == {
        "time",
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
        "ip",
        "request_id",
    }


def test_no_secrets_in_the_request_log(client, auth, user_id, request_log, caplog):
    auth.login(password=PASSWORD + "x", next="/watched?token=s3cret")
    client.get("/movies/1", headers={"X-Request-ID": 'bad id "x"'})
    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (PASSWORD, "s3cret", "csrf", "session", "Cookie"):
        assert secret not in text
    records = request_log()
    assert records[-2]["path"] == "/login"
    assert records[-2]["user_id"] is None
    assert records[-1]["request_id"] is None


def test_share_tokens_are_redacted(client, request_log, caplog):
    assert client.get("/share/very-secret-token").status_code == 404
    assert request_log()[-1]["path"] == "/share/[redacted]"
    assert "very-secret-token" not in caplog.text


def test_failed_posts_are_logged_with_their_status(logged_in, request_log):
    post(logged_in, "/movies", {"title": ""})
    logged_in.post("/movies", data={"title": "No token"})
    statuses = [(r["method"], r["status"]) for r in request_log()]
    assert ("POST", 303) in statuses
    assert statuses[-1] == ("POST", 400)


def test_static_urls_carry_a_hash_of_the_file(client):
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'href="(/static/style\.css\?v=([0-9a-f]{12}))"', page)
    assert match
    with client.get(match.group(1)) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/css")
