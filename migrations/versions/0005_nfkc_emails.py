"""nfkc emails: stored addresses in the one normal form login compares

Registration used to store email-validator's normalized form lower-cased: NFC, not
NFKC, so an address typed with fullwidth letters or a ligature in its local part
was kept as typed, and a look-alike could register a second account. Registration
and login now compare NFKC forms (flicklist/auth/emails.py); this brings each stored
address to that form. Where another account already holds the new form, the row
keeps its address and a warning names its id: the two accounts are for an
operator to reconcile (no account is merged or lost here).

The normal form is copied below rather than imported, so this migration keeps
doing what it did when the application code changes.

Revision ID: 0005_nfkc_emails
Revises: 0004_list_version
Create Date: 2026-12-01 10:00:00

"""
import logging
import unicodedata

from alembic import op
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email


# revision identifiers, used by Alembic.
revision = '0005_nfkc_emails'
down_revision = '0004_list_version'
branch_labels = None
depends_on = None

EMAIL_MAX = 254
log = logging.getLogger("alembic.runtime.migration")
users = sa.table("user", sa.column("id", sa.Integer), sa.column("email", sa.String))


def normal_form(address):
    try:
        normalized = validate_email(
            unicodedata.normalize("NFKC", address),
            check_deliverability=False,
            test_environment=True,
        ).normalized
    except EmailNotValidError:
        return None
    normal = unicodedata.normalize("NFKC", normalized.lower())
    return normal if len(normal) <= EMAIL_MAX else None


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        normal = normal_form(email)
        if normal is None or normal == email:
            continue
        if normal in taken:
            log.warning(
                "user %s keeps its email: another account has its normal form", user_id
            )
            continue
        connection.execute(users.update().where(users.c.id == user_id).values(email=normal))
        taken.discard(email)
        taken.add(normal)


def downgrade():
    # The earlier forms are not kept; the normal ones work under the earlier code
    # for anyone who types them.
    pass
