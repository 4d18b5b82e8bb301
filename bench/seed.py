"""Seed a fresh FlickList database with users holding many movies, fast."""

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from flicklist.auth.passwords import hash_password
from flicklist.extensions import db
from flicklist.models import Movie, User, Viewing

PASSWORD = "bench password 1"  # noqa: S105 (a throwaway account on a scratch database)
WORDS = [
    "night",
    "city",
    "river",
    "last",
    "first",
    "dark",
    "blue",
    "red",
    "silent",
    "long",
    "road",
    "star",
    "love",
    "war",
    "house",
    "summer",
    "winter",
    "ghost",
    "king",
    "queen",
    "island",
    "secret",
    "shadow",
    "storm",
    "heart",
]


def movie_rows(
    user_id: int, count: int, rng: random.Random, watched_share: int = 5
) -> list[dict]:
    """Movie dicts; one in `watched_share` watched once (and mostly rated)."""
    start = datetime(2015, 1, 1)
    movies = []
    for number in range(count):
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {number}"
        watched = number % watched_share == 0
        watched_on = (
            date(2016, 1, 1) + timedelta(days=number % 3000) if watched else None
        )
        movies.append(
            {
                "user_id": user_id,
                "title": title,
                "year": 1950 + number % 75,
                "added_at": start + timedelta(minutes=number),
                "rating_halves": (number % 10) + 1 if watched and number % 3 else None,
                "note": "",
                "watched": watched,
                "last_watched_on": watched_on,
                "viewing_count": 1 if watched else 0,
            }
        )
    return movies


def seed_user(
    email: str,
    movie_count: int,
    seed: int = 1,
    *,
    watched_share: int = 5,
    password_hash: str | None = None,
) -> int:
    """A user with `movie_count` movies, one in `watched_share` of them watched;
    returns the user id. Needs an app context. Pass one `password_hash` to seed
    many accounts without hashing the same password for each."""
    user = User(email=email, password_hash=password_hash or hash_password(PASSWORD))
    db.session.add(user)
    db.session.flush()
    movies = movie_rows(user.id, movie_count, random.Random(seed), watched_share)
    if movies:
        db.session.execute(sa.insert(Movie), movies)
        watched = db.session.execute(
            sa.select(Movie.id, Movie.last_watched_on).where(
                Movie.user_id == user.id, Movie.watched.is_(True)
            )
        ).all()
        if watched:
            db.session.execute(
                sa.insert(Viewing),
                [{"movie_id": mid, "watched_on": day} for mid, day in watched],
            )
    db.session.commit()
    return user.id
