"""What can happen to a user's movies: find, add, record and forget viewings.

Functions here change the session but never commit: the caller decides where the
transaction ends (one per form, one per imported file).
"""

from datetime import date

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.rules import title_key


def own_movie_query(user_id: int, movie_id: int) -> sa.Select:
    return sa.select(Movie).where(Movie.id == movie_id, Movie.user_id == user_id)


def find_movie(user_id: int, title: str, year: int | None) -> Movie | None:
    """The user's movie with this title (ignoring case) and year, if any."""
    return db.session.scalar(
        sa.select(Movie).where(
            Movie.user_id == user_id,
            Movie.title_key == title_key(title),
            Movie.year.is_(None) if year is None else Movie.year == year,
        )
    )


def add_movie(user_id: int, title: str, year: int | None) -> Movie:
    """A new movie on the watchlist (flushed; the unique index guards races)."""
    movie = Movie(user_id=user_id, title=title, year=year)
    db.session.add(movie)
    db.session.flush()
    return movie


def record_viewing(movie: Movie, watched_on: date | None) -> Viewing:
    """Another viewing; the first one crosses the movie off the watchlist."""
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
