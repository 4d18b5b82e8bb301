"""Password storage and checks: argon2id parameters, rehash, rules, timing, locks."""

import re
import shutil
import sqlite3
import statistics
import threading
import time

import pytest
import sqlalchemy as sa
from argon2 import extract_parameters

from config import Config, ProductionConfig
from flicklist.auth.passwords import hash_password
from flicklist.extensions import db
from flicklist.models import User
from tests.helpers import (
    PASSWORD,
    AuthActions,
    create_user,
    csrf_token,
    flash_text,
    make_app,
    post,
    stored_hash,
)

OWASP_MEMORY_KIB = 19 * 1024


def test_production_parameters_meet_owasp_minimum(tmp_path):
    for config in (Config, ProductionConfig):
        assert config.ARGON2_MEMORY_COST_KIB >= OWASP_MEMORY_KIB
        assert config.ARGON2_TIME_COST >= 2
        assert config.ARGON2_PARALLELISM >= 1
    app = make_app(
        f"sqlite:///{tmp_path}/db.sqlite",
        ARGON2_TIME_COST=Config.ARGON2_TIME_COST,
        ARGON2_MEMORY_COST_KIB=Config.ARGON2_MEMORY_COST_KIB,
    )
    with app.app_context():
        encoded = hash_password(PASSWORD)
    assert encoded.startswith("$argon2id$")
    parameters = extract_parameters(encoded)
    assert parameters.memory_cost >= OWASP_MEMORY_KIB and parameters.time_cost >= 2


def test_an_older_hash_is_upgraded_at_the_next_login(app, client, auth, user_id):
    old = stored_hash(app)
    assert extract_parameters(old).time_cost == 1
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST_KIB=128)
    # A failed login changes nothing.
    auth.login(password="not the password")
    assert stored_hash(app) == old
    assert auth.login().status_code == 303
    new = stored_hash(app)
    assert new != old
    parameters = extract_parameters(new)
    assert (parameters.time_cost, parameters.memory_cost) == (2, 128)
    # The upgraded hash still opens the account, and is not rewritten again.
    auth.logout()
    assert auth.login().status_code == 303
    assert stored_hash(app) == new


@pytest.mark.parametrize(
    "password",
    [
        "  spaces around me  ",
        "🎬🍿🎥🎞️📽️🎦",
        "Ünïcödé pässwörd",
        "with\x00a NUL byte",
        "x" * 128,
    ],
)
def test_any_password_of_8_to_128_characters_is_kept_exactly(
    app, client, auth, password
):
    assert auth.register("ann@example.com", password).status_code == 303
    auth.logout()
    for variant in {password.strip(), password.upper(), password[:-1]} - {password}:
        response = auth.login(password=variant)
        assert "Invalid email or password." in flash_text(response), repr(variant)
    assert auth.login(password=password).status_code == 303


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("seven77", "8 to 128"),
        ("x" * 129, "8 to 128"),
        ("PASSWORD1", "common"),
        ("iloveyou", "common"),
        ("Qwertyuiop", "common"),
    ],
)
def test_short_long_and_common_passwords_are_refused(
    app, client, auth, password, message
):
    response = auth.register("ann@example.com", password)
    assert message in flash_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def autocomplete_of_inputs(client, path: str) -> dict[str, str]:
    """{input name: its autocomplete value} for every password input on a page."""
    html = client.get(path).get_data(as_text=True)
    found = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="password"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            found[name] = re.search(r'autocomplete="([^"]+)"', tag).group(1)
    return found


def test_password_fields_tell_password_managers_what_they_are(app, logged_in):
    assert autocomplete_of_inputs(logged_in, "/account") == {
        "current_password": "current-password",
        "new_password": "new-password",
        "verify": "new-password",
        "password": "current-password",
    }
    anonymous = app.test_client()
    assert autocomplete_of_inputs(anonymous, "/register") == {
        "password": "new-password",
        "verify": "new-password",
    }
    assert autocomplete_of_inputs(anonymous, "/login") == {
        "password": "current-password"
    }


def test_unknown_email_and_wrong_password_take_the_same_time(database_url, tmp_path):
    """Medians of interleaved attempts with the real argon2 parameters."""
    app = make_app(
        database_url,
        ARGON2_TIME_COST=Config.ARGON2_TIME_COST,
        ARGON2_MEMORY_COST_KIB=Config.ARGON2_MEMORY_COST_KIB,
        instance_path=tmp_path / "instance",
    )
    with app.app_context():
        real_hash = hash_password(PASSWORD)
    create_user(app, "ann@example.com", real_hash)
    client = app.test_client()
    token = csrf_token(client, "/login")

    def attempt(email: str) -> float:
        data = {"csrf_token": token, "email": email, "password": "wrong password"}
        start = time.perf_counter()
        response = client.post("/login", data=data)
        elapsed = time.perf_counter() - start
        assert "Invalid email or password." in flash_text(response)
        assert response.status_code == 200
        return elapsed

    attempt("nobody@example.com")  # the dummy hash is made once, on first use
    unknown, wrong = [], []
    for _ in range(15):
        unknown.append(attempt("nobody@example.com"))
        wrong.append(attempt("ann@example.com"))
    unknown_median, wrong_median = statistics.median(unknown), statistics.median(wrong)
    # Both pay for one argon2 verification; skipping it would save nearly all the time.
    tolerance = max(0.5 * max(unknown_median, wrong_median), 0.002)
    assert abs(unknown_median - wrong_median) < tolerance, (unknown, wrong)
    with app.app_context():
        db.engine.dispose()


def probe_write_lock(path: str, busy: threading.Event, results: list) -> None:
    """Take SQLite's write lock again and again while a request hashes."""
    while busy.is_set():
        connection = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            results.append(True)
        except sqlite3.OperationalError:
            results.append(False)
        finally:
            connection.close()
        time.sleep(0.01)


def while_probing(app, action) -> list[bool]:
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    busy, results = threading.Event(), []
    busy.set()
    prober = threading.Thread(target=probe_write_lock, args=(path, busy, results))
    prober.start()
    try:
        action()
    finally:
        busy.clear()
        prober.join()
    return results


@pytest.fixture
def slow_hash_app(sqlite_template, tmp_path):
    """SQLite only: its single write lock is what a slow hash could hold."""
    path = tmp_path / "locks.sqlite"
    shutil.copy(sqlite_template, path)
    # About a quarter of a second a hash: far longer than the probe's 0.1 s wait.
    app = make_app(
        f"sqlite:///{path}",
        instance_path=tmp_path / "instance",
        ARGON2_TIME_COST=4,
        ARGON2_MEMORY_COST_KIB=32 * 1024,
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_hashing_never_holds_the_sqlite_write_lock(slow_hash_app, password_hash):
    app = slow_hash_app
    create_user(app, "ann@example.com", password_hash)  # cheap: rehashed at login
    client = app.test_client()
    auth = AuthActions(client)
    results = while_probing(app, lambda: auth.register("bob@example.com"))
    results += while_probing(app, lambda: auth.logout() and auth.login())
    change = {"current_password": PASSWORD}
    change |= {"new_password": "another secret", "verify": "another secret"}
    results += while_probing(app, lambda: post(client, "/account/password", change))
    assert extract_parameters(stored_hash(app)).time_cost == 4
    assert results.count(True) >= 10 and all(results), results


def auth_works(app, password: str) -> bool:
    return AuthActions(app.test_client()).login(password=password).status_code == 303


def test_no_default_account_exists(app):
    """The migrations create no user: nobody can log in before registering."""
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
