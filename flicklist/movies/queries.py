"""The queries behind the list pages: one query a page, plain rows, no count."""

from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import RATING_OR_LAST, WATCHED_ON_OR_LAST, YEAR_OR_LAST, Movie
from flicklist.rules import title_key

# Each list's sorts, its default first, and what the sort menu calls them.
WATCHLIST_SORTS = ("added", "title", "year")
WATCHED_SORTS = ("watched", "title", "rating")
SORT_LABELS = {
    "added": "Recently added",
    "title": "Title (A to Z)",
    "year": "Year (newest first)",
    "watched": "Recently watched",
    "rating": "Rating (highest first)",
}
# Deeper pages are refused as nonsense rather than sent to the database as offsets.
PAGE_MAX = 1_000_000

ORDERINGS: dict[str, tuple[Any, ...]] = {
    "added": (Movie.added_at.desc(), Movie.id.desc()),
    "title": (Movie.title_key, YEAR_OR_LAST.desc(), Movie.id),
    "year": (YEAR_OR_LAST.desc(), Movie.title_key, Movie.id),
    "watched": (WATCHED_ON_OR_LAST.desc(), Movie.id.desc()),
    "rating": (RATING_OR_LAST.desc(), Movie.title_key, Movie.id),
}

LIST_COLUMNS = (
    Movie.id,
    Movie.title,
    Movie.year,
    Movie.rating_halves,
    Movie.last_watched_on,
    Movie.viewing_count,
    # The day as the database writes it (ISO 8601 on both), so no row pays for a
    # datetime it only shows the date of.
    sa.func.date(Movie.added_at).label("added_on"),
)


@dataclass(frozen=True)
class Pager:
    """Where a paged view is: what the pager shows."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass(frozen=True)
class Page(Pager):
    """One page of a list: its rows, and where it is."""

    rows: list[Any]


def page_number(raw: str | None) -> int:
    """The page asked for, or 1 for anything that is not a sensible page number."""
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return number if 1 <= number <= PAGE_MAX else 1


def like_pattern(text: str) -> str:
    """A LIKE pattern for titles containing `text` literally (escape character /)."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


@cache
def list_statement(watched: bool, sort: str, searching: bool) -> sa.Select:
    """The query of a list page, built once for each list, sort and search.

    Building a statement costs about as much as running it against SQLite, and
    every list page that is not kept (list_cache) runs one.
    """
    query = sa.select(*LIST_COLUMNS).where(
        Movie.user_id == sa.bindparam("owner"), Movie.watched == watched
    )
    if searching:
        query = query.where(Movie.title_key.like(sa.bindparam("pattern"), escape="/"))
    return (
        query.order_by(*ORDERINGS[sort])
        .limit(sa.bindparam("rows", type_=sa.Integer))
        .offset(sa.bindparam("skipped", type_=sa.Integer))
    )


def list_page(
    user_id: int, *, watched: bool, q: str, sort: str, number: int, per_page: int
) -> Page:
    """One page of the user's list; one row more tells whether another page follows."""
    values = {
        "owner": user_id,
        "rows": per_page + 1,
        "skipped": (number - 1) * per_page,
    }
    if q:
        values["pattern"] = like_pattern(title_key(q))
    rows = db.session.execute(list_statement(watched, sort, bool(q)), values).all()
    return Page(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)
