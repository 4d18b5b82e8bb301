"""Throttling: failed logins per address and per account, register, account forms."""

import pytest
import sqlalchemy as sa
from flask_limiter.util import get_qualified_name

from flicklist.extensions import UNLIMITED_BLUEPRINTS, db, limiter
from flicklist.models import User
from tests.helpers import (
    PASSWORD,
    create_user,
    csrf_token,
    make_app,
    post,
    stored_hash,
)
from tests.servers import PORTS, free_port


@pytest.fixture
def limited_app(database_url, tmp_path):
    """Limits on, small enough to reach, counters in memory, one trusted proxy."""
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
        REGISTER_RATE_LIMIT="2 per minute",
        ACCOUNT_RATE_LIMIT="2 per minute",
        PROXY_FIX_HOPS=1,
        instance_path=tmp_path / "instance",
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def proxied(address: str, spoofed: str | None = None) -> dict:
    """Headers as the trusted proxy sends them: it appends the real address."""
    chain = f"{spoofed}, {address}" if spoofed else address
    return {"X-Forwarded-For": chain}


def try_login(client, email: str, password: str = "wrong password", headers=None):
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": email, "password": password}
    return client.post("/login", data=data, headers=headers or {})


def assert_429_page(response) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "Too many" in html and "</html>" in html
    assert "Content-Security-Policy" in response.headers


def test_failed_logins_per_address_are_limited(limited_app):
    client = limited_app.test_client()
    for number in range(3):
        response = try_login(client, f"nobody{number}@example.com")
        assert response.status_code == 200
    assert_429_page(try_login(client, "nobody9@example.com"))


def test_a_client_cannot_reset_its_counter_with_x_forwarded_for(limited_app):
    client = limited_app.test_client()
    for number in range(3):
        headers = proxied("203.0.113.7", spoofed=f"198.51.100.{number}")
        response = try_login(client, f"nobody{number}@example.com", headers=headers)
        assert response.status_code == 200
    headers = proxied("203.0.113.7", spoofed="198.51.100.99")
    assert_429_page(try_login(client, "other@example.com", headers=headers))
    # Another real client address (as the proxy reports it) has its own counter.
    fresh = try_login(client, "other@example.com", headers=proxied("203.0.113.8"))
    assert fresh.status_code == 200


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(database_url):
    limited = make_app(
        database_url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute"
    )
    assert limited.config["PROXY_FIX_HOPS"] == 0
    client = limited.test_client()
    for number in range(2):
        headers = proxied(f"198.51.100.{number}")
        assert try_login(client, f"n{number}@x.com", headers=headers).status_code == 200
    headers = proxied("198.51.100.50")
    assert try_login(client, "n9@x.com", headers=headers).status_code == 429
    with limited.app_context():
        db.engine.dispose()


def test_failed_logins_per_account_are_limited_across_addresses(
    limited_app, password_hash
):
    create_user(limited_app, "ann@example.com", password_hash)
    create_user(limited_app, "bob@example.com", password_hash)
    attacker = limited_app.test_client()
    for number in range(3):
        headers = proxied(f"198.51.100.{number}")
        response = try_login(attacker, "ANN@example.com ", headers=headers)
        assert response.status_code == 200
    # Spreading over many addresses does not help: the account itself is limited...
    assert_429_page(
        try_login(attacker, "ann@example.com", headers=proxied("198.51.100.77"))
    )
    # ...but nobody else is locked out by it.
    bob = limited_app.test_client()
    response = try_login(bob, "bob@example.com", PASSWORD, proxied("192.0.2.1"))
    assert response.status_code == 303


def test_successful_logins_do_not_count(limited_app, password_hash):
    create_user(limited_app, "ann@example.com", password_hash)
    client = limited_app.test_client()
    for _ in range(5):
        response = try_login(client, "ann@example.com", PASSWORD)
        assert response.status_code == 303
        assert post(client, "/logout").status_code == 303


def test_register_is_limited(limited_app):
    client = limited_app.test_client()
    for number in range(2):
        token = csrf_token(client, "/register")
        client.post("/register", data={"csrf_token": token, "email": f"x{number}"})
    token = csrf_token(client, "/register")
    data = {"csrf_token": token, "email": "new@example.com"}
    data |= {"password": PASSWORD, "verify": PASSWORD}
    assert_429_page(client.post("/register", data=data))
    with limited_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_account_forms_are_limited_per_user(limited_app, password_hash):
    create_user(limited_app, "ann@example.com", password_hash)
    client = limited_app.test_client()
    assert try_login(client, "ann@example.com", PASSWORD).status_code == 303
    wrong = {"current_password": "not it at all"}
    wrong |= {"new_password": "another long one", "verify": "another long one"}
    for number in range(2):
        headers = proxied(f"198.51.100.{number}")
        response = post(client, "/account/password", wrong, headers=headers)
        assert response.status_code == 303
    headers = proxied("198.51.100.50")
    assert_429_page(post(client, "/account/delete", {"password": "x"}, headers=headers))
    assert stored_hash(limited_app) == password_hash


def test_an_unreachable_redis_falls_back_to_memory_not_to_500(database_url):
    port = free_port(PORTS)  # nothing listens there
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="2 per minute",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/1",
    )
    client = app.test_client()
    for number in range(2):
        assert try_login(client, f"n{number}@example.com").status_code == 200
    assert_429_page(try_login(client, "n9@example.com"))
    with app.app_context():
        db.engine.dispose()


def test_an_oversized_login_is_a_413_with_the_limits_on(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": "x" * (3 * 1024 * 1024), "password": "x"}
    response = client.post("/login", data=data)
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_the_blueprints_that_skip_the_limiter_carry_no_limit(app):
    """Requests to UNLIMITED_BLUEPRINTS skip Flask-Limiter's check: a limit put on
    one of their views would never be enforced, so none may carry one. (Read from
    Flask-Limiter's own record of decorated views, as its request check does.)"""
    assert {"movies", "stats"} <= UNLIMITED_BLUEPRINTS
    checked = 0
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint not in UNLIMITED_BLUEPRINTS:
            continue
        name = get_qualified_name(app.view_functions[rule.endpoint])
        assert name not in limiter._marked_for_limiting, rule.endpoint
        assert not limiter.limit_manager.has_hints(rule.endpoint), rule.endpoint
        checked += 1
    assert checked >= 10
    # The check does see a limited view where there is one.
    login = get_qualified_name(app.view_functions["auth.login"])
    assert login in limiter._marked_for_limiting
