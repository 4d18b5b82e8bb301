"""One comparison of email addresses: registration, login and the stored rows agree."""

import flask_migrate
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from flicklist.auth.emails import login_email, normalise_email
from flicklist.extensions import db
from flicklist.models import User
from flicklist.rules import EMAIL_MAX
from tests.helpers import flash_text, flashes, make_app


def fullwidth(text: str) -> str:
    """ASCII letters as their fullwidth look-alikes, as some keyboards type them."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


FULLWIDTH_DOMAIN = "ann@" + fullwidth("example") + ".com"
DECOMPOSED = "jose\u0301@example.com"  # e, then a combining acute accent
PRECOMPOSED = "jos\u00e9@example.com"


def stored_emails(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(User.email).order_by(User.id)))


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        (FULLWIDTH_DOMAIN, FULLWIDTH_DOMAIN),
        (FULLWIDTH_DOMAIN, "ann@example.com"),
        ("ann@example.com", FULLWIDTH_DOMAIN),
        (DECOMPOSED, DECOMPOSED),
        (DECOMPOSED, PRECOMPOSED),
        (PRECOMPOSED, DECOMPOSED),
        (fullwidth("ann") + "@example.com", "ANN@EXAMPLE.COM"),  # fullwidth local part
        ("ann@bücher.de", "ann@xn--bcher-kva.de"),
    ],
)
def test_an_address_that_registered_logs_in_as_typed(
    app, client, auth, registered, typed
):
    assert auth.register(registered).status_code == 303
    auth.logout()
    response = auth.login(typed)
    assert response.status_code == 303, flash_text(client.get("/login"))
    assert client.get("/").status_code == 200
    assert len(stored_emails(app)) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ann@example.com", fullwidth("a") + "nn@example.com"),
        ("ann@example.com", FULLWIDTH_DOMAIN),
        ("ff@example.com", "\ufb00@example.com"),  # the ff ligature
        (PRECOMPOSED, DECOMPOSED),
        ("ann@xn--bcher-kva.de", "ANN@BÜCHER.DE"),
    ],
)
def test_look_alike_addresses_are_one_account(app, client, auth, first, second):
    assert auth.register(first).status_code == 303
    auth.logout()
    response = auth.register(second)
    assert response.status_code == 200
    assert "already" in flash_text(response)
    assert len(stored_emails(app)) == 1


@pytest.mark.parametrize(
    "typed", ["nope", "ann@", "@example.com", "ann@exa\u00admple.com", "ann@@x.com"]
)
def test_an_invalid_email_at_login_says_invalid_email_or_password(
    client, auth, user_id, typed
):
    response = auth.login(typed)
    assert response.status_code == 200
    assert flashes(response) == [("error", "Invalid email or password.")]
    assert client.get("/").status_code == 302


@given(st.text(max_size=40).map(lambda s: s + "@example.com") | st.emails())
def test_the_normal_form_is_its_own_normal_form(address):
    normal = normalise_email(address)
    if normal is not None:
        assert normalise_email(normal) == normal
        assert normal == normal.lower() and len(normal) <= EMAIL_MAX
        assert login_email(address) == normal


def test_upgrade_renormalises_stored_addresses_unless_another_account_has_it(
    tmp_path, password_hash
):
    app = make_app(f"sqlite:///{tmp_path}/old.sqlite")
    with app.app_context():
        flask_migrate.upgrade(revision="0004_list_version")
        # Stored by the earlier registration: NFC, lower-cased, but not NFKC.
        with db.engine.begin() as connection:
            for email in [
                fullwidth("a") + "nn@example.com",
                "bob@example.com",
                fullwidth("b") + "ob@example.com",
            ]:
                connection.execute(
                    sa.text(
                        'INSERT INTO "user" (email, password_hash, created_at)'
                        " VALUES (:email, :hash, '2024-01-01 00:00:00')"
                    ),
                    {"email": email, "hash": password_hash},
                )
        flask_migrate.upgrade()
        flask_migrate.check()
        db.engine.dispose()
    # bob@example.com was taken: that row keeps its address (and is logged).
    assert stored_emails(app) == [
        "ann@example.com",
        "bob@example.com",
        fullwidth("b") + "ob@example.com",
    ]
