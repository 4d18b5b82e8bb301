"""One way to compare email addresses, for registration, login and the login limit."""

import unicodedata

from email_validator import EmailNotValidError, validate_email

from flicklist.rules import EMAIL_MAX


def normalise_email(address: str) -> str | None:
    """The form an address is stored and compared in, or None when it is not valid.

    Unicode NFKC first (fullwidth letters, ligatures), then email-validator's
    normalized form (NFC local part; the domain through IDNA, so `xn--` and Unicode
    spellings agree, kept in its Unicode spelling as registration always stored it),
    then lower case, and NFKC once more because lower-casing can undo it.
    """
    try:
        # test_environment admits addresses at `.test` domains (tests, staging).
        normalized = validate_email(
            unicodedata.normalize("NFKC", address),
            check_deliverability=False,
            test_environment=True,
        ).normalized
    except EmailNotValidError:
        return None
    normal = unicodedata.normalize("NFKC", normalized.lower())
    return normal if len(normal) <= EMAIL_MAX else None


def login_email(address: str) -> str:
    """What a login (and its rate-limit key) compares: the normal form when there is
    one; an invalid address, which matches no account, stripped and lower-cased."""
    return normalise_email(address) or address.strip().lower()[:EMAIL_MAX]
