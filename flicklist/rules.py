"""The rules on what a user may store, written once for forms, importer and templates.

Kept free of Flask and of the models, so that the models, the parsers and the
forms can all import it without a cycle.
"""

import re
from datetime import date
from decimal import Decimal

from flicklist.timeutil import today

EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 128
TITLE_MAX = 200
# Letterboxd reviews run to 9,000 characters and more; a longer note is refused,
# never cut.
NOTE_MAX = 20_000
# Tags: at most this many a movie, each this long at most.
TAGS_PER_MOVIE_MAX = 20
TAG_MAX = 50
# External ids: IMDb's `tt` and up to ten digits; Letterboxd's film address.
IMDB_ID_MAX = 12
LETTERBOXD_URI_MAX = 200
# Nobody watches a film a thousand times; one file once gave a movie 291,000
# viewings, and its page took 23 s. Imports reject the rows past this; so does
# "mark watched".
VIEWINGS_PER_MOVIE_MAX = 1000
FIRST_FILM_YEAR = 1870
EARLIEST_VIEWING = date(FIRST_FILM_YEAR, 1, 1)
# Ratings are half stars, 1..10, shown as 0.5..5.
RATING_HALVES_MAX = 10
RATING_CHOICES = tuple(f"{halves / 2:g}" for halves in range(1, RATING_HALVES_MAX + 1))

CONTROL_CHARACTERS = frozenset(chr(code) for code in range(32)) | {"\x7f"}
LINE_BREAKS = frozenset("\r\n\t")

PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def last_allowed_year() -> int:
    """A film may be announced for next year, never later."""
    return today().year + 1


def year_allowed(year: int) -> bool:
    return FIRST_FILM_YEAR <= year <= last_allowed_year()


def viewing_date_allowed(day: date) -> bool:
    """A viewing is never in the future, nor before films existed."""
    return EARLIEST_VIEWING <= day <= today()


def has_control_characters(text: str, *, allow_line_breaks: bool = False) -> bool:
    """NUL and the other control characters (PostgreSQL cannot store NUL)."""
    forbidden = (
        CONTROL_CHARACTERS - LINE_BREAKS if allow_line_breaks else CONTROL_CHARACTERS
    )
    return not forbidden.isdisjoint(text)


def title_key(title: str) -> str:
    """The form of a title used to compare, search and sort, ignoring case."""
    return " ".join(title.split()).casefold()


def parse_rating(value: str | None) -> int | None:
    """Half stars (1..10) for `0.5`..`5` in half steps; None for anything else.

    Only plain decimals count: `4`, `4.5`, `4.0`; not `nan`, `1e0`, `+4` or digits
    of other scripts, which Decimal would take.
    """
    text = (value or "").strip()
    if not PLAIN_NUMBER.fullmatch(text):
        return None
    halves = Decimal(text) * 2
    if halves != halves.to_integral_value() or not 1 <= halves <= RATING_HALVES_MAX:
        return None
    return int(halves)


def format_rating(rating_halves: int | None) -> str:
    """Half stars as the number people read: 7 -> "3.5", 8 -> "4"."""
    if rating_halves is None:
        return ""
    return f"{rating_halves / 2:g}"


IMDB_ID = re.compile(r"tt[0-9]{7,10}")
TMDB_ID_MAX = 2**31 - 1
# Letterboxd names a film by its page or its short link.
LETTERBOXD_FILM_URI = re.compile(
    r"https://(?:letterboxd\.com/film/[a-z0-9-]+/?|boxd\.it/[A-Za-z0-9]+)"
)


def imdb_id(text: str | None) -> str | None:
    """`tt1234567` from an IMDb id or address; None when there is none."""
    found = IMDB_ID.search(text or "")
    return found.group() if found else None


def tmdb_id(value: object) -> int | None:
    """A TMDB id (a positive number, given as a number or digits); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            return None
    if not isinstance(value, int | str):
        return None
    number = int(value)
    return number if 0 < number <= TMDB_ID_MAX else None


def letterboxd_uri(text: str | None) -> str | None:
    """A Letterboxd film address as given; None for anything else (a diary entry's
    address names the entry, not the film)."""
    text = (text or "").strip()
    if len(text) > LETTERBOXD_URI_MAX or not LETTERBOXD_FILM_URI.fullmatch(text):
        return None
    return text


def tag_key(name: str) -> str:
    """The form of a tag used to tell tags apart, ignoring case and spacing."""
    return " ".join(name.split()).casefold()
