"""The stats page's queries: counts, average rating, ratings, films watched a month."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.rules import RATING_HALVES_MAX, format_rating
from flicklist.timeutil import today

MONTHS = 12


@dataclass(frozen=True)
class Counts:
    to_watch: int
    watched: int
    rated: int
    average_halves: float | None

    @property
    def average(self) -> str:
        if self.average_halves is None:
            return ""
        return f"{self.average_halves / 2:.1f}"


def movie_counts(user_id: int) -> Counts:
    row = db.session.execute(
        sa.select(
            sa.func.count(sa.case((Movie.watched.is_(False), 1))).label("to_watch"),
            sa.func.count(sa.case((Movie.watched.is_(True), 1))).label("watched"),
            sa.func.count(Movie.rating_halves).label("rated"),
            sa.func.avg(Movie.rating_halves).label("average"),
        ).where(Movie.user_id == user_id)
    ).one()
    average = None if row.average is None else float(row.average)
    return Counts(row.to_watch, row.watched, row.rated, average)


def rating_histogram(user_id: int) -> list[tuple[str, int]]:
    """How many movies have each rating, 0.5 to 5."""
    counts = dict(
        db.session.execute(
            sa.select(Movie.rating_halves, sa.func.count())
            .where(Movie.user_id == user_id, Movie.rating_halves.is_not(None))
            .group_by(Movie.rating_halves)
        ).all()
    )
    return [
        (format_rating(halves), counts.get(halves, 0))
        for halves in range(1, RATING_HALVES_MAX + 1)
    ]


def month_starts(last: date, months: int = MONTHS) -> list[date]:
    """The first day of each of the last `months` months, oldest first."""
    index = last.year * 12 + last.month - 1
    return [
        date((index - back) // 12, (index - back) % 12 + 1, 1)
        for back in range(months - 1, -1, -1)
    ]


def monthly_viewings(user_id: int) -> list[tuple[date, int]]:
    """Movies watched in each of the last twelve months, this month included.

    A film seen twice in one month counts once in that month.
    """
    months = month_starts(today())
    viewings = db.session.execute(
        sa.select(Viewing.movie_id, Viewing.watched_on)
        .join(Movie)
        .where(Movie.user_id == user_id, Viewing.watched_on >= months[0])
        .distinct()
    ).all()
    per_month: dict[date, set[int]] = {month: set() for month in months}
    for movie_id, day in viewings:
        per_month.setdefault(day.replace(day=1), set()).add(movie_id)
    return [(month, len(per_month[month])) for month in months]
