"""Time helpers: the app stores naive UTC datetimes and uses the UTC date as "today"."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current UTC time without tzinfo, as stored on every database."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC, the server's notion of "today"."""
    return datetime.now(UTC).date()
