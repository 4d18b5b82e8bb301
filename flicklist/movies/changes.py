"""What can happen to a user's movies: find, add, record and forget viewings.

Functions here change the session but never commit: the caller decides where the
transaction ends (one per form, one per imported file).
"""

from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.rules import VIEWINGS_PER_MOVIE_MAX, title_key

# Each form's change is one UPDATE or INSERT that checks ownership and limits in its
# WHERE clause, rather than an ORM load, a check in Python and a flush: the busiest
# forms cost one or two statements, and the row they change is locked from the start.
# The statements are Core (the ORM's bulk machinery is not needed for one row) and
# built once: building one costs about as much as running it on SQLite.
MOVIE = Movie.__table__
VIEWING = Viewing.__table__
param = sa.bindparam


def insert_or_skip(dialect: type) -> sa.Insert:
    return (
        dialect.insert(MOVIE)
        .values(
            user_id=param("owner"),
            title=param("new_title"),
            title_key=param("new_key"),
            year=param("new_year"),
        )
        .on_conflict_do_nothing()
        .returning(MOVIE.c.id)
    )


ADD_MOVIE = {"sqlite": insert_or_skip(sqlite), "postgresql": insert_or_skip(postgresql)}
DAY = param("day", type_=sa.Date)
COUNT_VIEWING = (
    sa.update(MOVIE)
    .where(
        MOVIE.c.id == param("movie"),
        MOVIE.c.user_id == param("owner"),
        MOVIE.c.viewing_count < VIEWINGS_PER_MOVIE_MAX,
    )
    .values(
        watched=True,
        viewing_count=MOVIE.c.viewing_count + 1,
        last_watched_on=sa.case(
            (MOVIE.c.last_watched_on.is_(None), DAY),
            (MOVIE.c.last_watched_on < DAY, DAY),
            else_=MOVIE.c.last_watched_on,
        ),
    )
    .returning(MOVIE.c.title, MOVIE.c.viewing_count)
)
ADD_VIEWING = sa.insert(VIEWING).values(movie_id=param("movie"), watched_on=DAY)
RATE_MOVIE = (
    sa.update(MOVIE)
    .where(
        MOVIE.c.id == param("movie"),
        MOVIE.c.user_id == param("owner"),
        MOVIE.c.watched,
    )
    .values(rating_halves=param("halves"))
    .returning(MOVIE.c.title)
)


class Viewed(NamedTuple):
    """A recorded viewing: the movie's title and how many viewings it now has."""

    title: str
    viewing_count: int


def own_movie_query(user_id: int, movie_id: int) -> sa.Select:
    return sa.select(Movie).where(Movie.id == movie_id, Movie.user_id == user_id)


def add_movie(user_id: int, title: str, year: int | None) -> bool:
    """Put a new movie on the watchlist; False when the same title (ignoring case)
    and year is on the list already.

    The unique indexes decide, in the one INSERT (ON CONFLICT DO NOTHING), so two
    requests adding the same film at once still make one movie.
    """
    insert = ADD_MOVIE[db.session.get_bind().dialect.name]
    values = {
        "owner": user_id,
        "new_title": title,
        "new_key": title_key(title),
        "new_year": year,
    }
    added = db.session.scalar(insert, values)
    return added is not None


def add_viewing(user_id: int, movie_id: int, watched_on: date) -> Viewed | None:
    """Record a viewing of the user's movie when it has room for one more.

    None when the movie is not the user's or holds VIEWINGS_PER_MOVIE_MAX already.
    The UPDATE counts the viewing in and locks the row, so two at once (a double
    click) cannot both count from the same viewing_count.
    """
    values = {"movie": movie_id, "owner": user_id, "day": watched_on}
    counted = db.session.execute(COUNT_VIEWING, values).first()
    if counted is None:
        return None
    db.session.execute(ADD_VIEWING, values)
    return Viewed(*counted)


def rate_movie(user_id: int, movie_id: int, rating_halves: int) -> str | None:
    """Rate the user's watched movie; its title, or None when it is not the
    user's or not watched."""
    values = {"movie": movie_id, "owner": user_id, "halves": rating_halves}
    return db.session.scalar(RATE_MOVIE, values)


def record_viewing(movie: Movie, watched_on: date | None) -> Viewing:
    """Another viewing of a loaded movie; the first one crosses it off the
    watchlist. (The form uses add_viewing.)"""
    viewing = Viewing(movie_id=movie.id, watched_on=watched_on)
    db.session.add(viewing)
    movie.watched = True
    movie.viewing_count += 1
    if watched_on is not None and (
        movie.last_watched_on is None or watched_on > movie.last_watched_on
    ):
        movie.last_watched_on = watched_on
    return viewing


def forget_viewings(movie: Movie) -> None:
    """Back on the watchlist: every viewing goes, the rating stays."""
    db.session.execute(sa.delete(Viewing).where(Viewing.movie_id == movie.id))
    movie.watched = False
    movie.viewing_count = 0
    movie.last_watched_on = None


def remove_viewing(movie: Movie, viewing_id: int) -> bool:
    """Remove one viewing of this movie; False when it is not one of them."""
    deleted = db.session.execute(
        sa.delete(Viewing).where(Viewing.id == viewing_id, Viewing.movie_id == movie.id)
    ).rowcount
    if not deleted:
        return False
    refresh_watch_state(movie)
    return True


def refresh_watch_state(movie: Movie) -> None:
    """Recompute the watched flag, count and latest date from the viewings."""
    count, latest = db.session.execute(
        sa.select(sa.func.count(Viewing.id), sa.func.max(Viewing.watched_on)).where(
            Viewing.movie_id == movie.id
        )
    ).one()
    movie.viewing_count = count
    movie.watched = count > 0
    movie.last_watched_on = latest
