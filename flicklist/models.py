"""Database models: users, their sessions, movies, viewings, tags, share links and
the reports of imports."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flicklist.extensions import db
from flicklist.list_version import install_with_create_all
from flicklist.rules import (
    EMAIL_MAX,
    IMDB_ID_MAX,
    LETTERBOXD_URI_MAX,
    TAG_MAX,
    TITLE_MAX,
    title_key,
)
from flicklist.timeutil import utcnow

USER_AGENT_MAX = 200
IP_ADDRESS_MAX = 45  # the longest IPv6 address in text
FILENAME_MAX = 255
KIND_MAX = 40
OUTCOME_MAX = 10
REASON_MAX = 300


def title_key_of_row(context: DefaultExecutionContext) -> str:
    """Column default: every insert path (ORM or bulk Core) gets the key for free."""
    return title_key(context.get_current_parameters()["title"])


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by database triggers on every change to this user's movies (migration
    # 0004), so a rendered list keyed by it can never be served stale.
    list_version: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    movies: Mapped[list[Movie]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    share_link: Mapped[ShareLink | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Flask-Login protocol. The id kept in the cookie is the session token, not
    # the user id, so deleting the session row ends that login for good.
    # Set per request by the user loader; plain attributes, not columns.
    session_token = None
    current_session = None
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(db.Model):
    """One login: a random token held by the browser, its SHA-256 held here."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(User.id, ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(sa.String(USER_AGENT_MAX), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(IP_ADDRESS_MAX), default="")

    user: Mapped[User] = relationship(back_populates="sessions")


class Movie(db.Model):
    __table_args__ = (
        sa.Index("ix_movie_user_id_watched_added_at", "user_id", "watched", "added_at"),
        # One index per sort the list pages offer, so a page reads only its rows.
        # The sorts that put missing values last have theirs after the class.
        sa.Index(
            "ix_movie_user_id_watched_title_key", "user_id", "watched", "title_key"
        ),
        sa.CheckConstraint("rating_halves BETWEEN 1 AND 10", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    # Case folding can triple a character ("ﬃ" -> "ffi"), so the key is wider.
    title_key: Mapped[str] = mapped_column(
        sa.String(4 * TITLE_MAX), default=title_key_of_row
    )
    year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Half stars, 1..10: exact on every database, shown divided by two.
    rating_halves: Mapped[int | None] = mapped_column(sa.SmallInteger)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Kept in step with the viewings so the lists need no join or count. `watched`
    # is viewing_count > 0, stored so that it can lead the list indexes.
    watched: Mapped[bool] = mapped_column(default=False)
    last_watched_on: Mapped[date | None]
    viewing_count: Mapped[int] = mapped_column(default=0)
    # The ids other services give the film (rules.py says their forms). A film
    # with one is told apart by it from others of the same title and year.
    imdb_id: Mapped[str | None] = mapped_column(sa.String(IMDB_ID_MAX))
    tmdb_id: Mapped[int | None]
    letterboxd_uri: Mapped[str | None] = mapped_column(sa.String(LETTERBOXD_URI_MAX))
    liked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    user: Mapped[User] = relationship(back_populates="movies")
    tags: Mapped[list[Tag]] = relationship(
        secondary=lambda: movie_tag, order_by=lambda: Tag.name_key, viewonly=True
    )
    viewings: Mapped[list[Viewing]] = relationship(
        back_populates="movie",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Viewing.watched_on.desc().nulls_last(), Viewing.id.desc())",
    )

    @property
    def rating(self) -> float | None:
        return None if self.rating_halves is None else self.rating_halves / 2

    def __repr__(self) -> str:
        return f"<Movie {self.id}>"


class Viewing(db.Model):
    """One time a movie was seen; the date is unknown for some imports."""

    id: Mapped[int] = mapped_column(primary_key=True)
    movie_id: Mapped[int] = mapped_column(
        sa.ForeignKey(Movie.id, ondelete="CASCADE"), index=True
    )
    watched_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    movie: Mapped[Movie] = relationship(back_populates="viewings")


class Tag(db.Model):
    """A word a user files movies under; one row per user and name, ignoring case."""

    __table_args__ = (sa.UniqueConstraint("user_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(TAG_MAX))
    # Case folding can triple a character, as for titles.
    name_key: Mapped[str] = mapped_column(sa.String(4 * TAG_MAX))


movie_tag = sa.Table(
    "movie_tag",
    db.metadata,
    sa.Column(
        "movie_id",
        sa.ForeignKey(Movie.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "tag_id",
        sa.ForeignKey(Tag.id, ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ImportRecord(db.Model):
    """One import as the user did it: when, which file, what it did."""

    __tablename__ = "import_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(User.id, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(FILENAME_MAX))
    kind: Mapped[str] = mapped_column(sa.String(KIND_MAX))
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)

    rows: Mapped[list[ImportReportRow]] = relationship(
        back_populates="import_record",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ImportReportRow.id",
    )


class ImportReportRow(db.Model):
    """A row an import skipped or rejected, or a note on one it took (an unknown
    IMDb title type imported as a film): file, line and why."""

    __tablename__ = "import_report_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey(ImportRecord.id, ondelete="CASCADE"), index=True
    )
    file: Mapped[str] = mapped_column(sa.String(FILENAME_MAX))
    line: Mapped[int | None]
    # "skipped", "rejected" or "noted"
    outcome: Mapped[str] = mapped_column(sa.String(OUTCOME_MAX))
    reason: Mapped[str] = mapped_column(sa.String(REASON_MAX))

    import_record: Mapped[ImportRecord] = relationship(back_populates="rows")


class ShareLink(db.Model):
    """A user's read-only public link; only the token's SHA-256 is stored."""

    __tablename__ = "share_link"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(User.id, ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    include_watchlist: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="share_link")


# Newest first with the movies that have none last ("DESC NULLS LAST"): an index
# can only serve that order where it is written the same way, and PostgreSQL's
# NULLS LAST cannot be written in a SQLite index. A value below every real one
# (coalesce) orders the same on both, in the indexes and in the lists' ORDER BY
# (movies/queries.py), so each page reads just its rows however long the list.
YEAR_OR_LAST = sa.func.coalesce(Movie.year, sa.literal_column("0"))
WATCHED_ON_OR_LAST = sa.func.coalesce(
    Movie.last_watched_on, sa.literal_column("'0001-01-01'")
)
RATING_OR_LAST = sa.func.coalesce(Movie.rating_halves, sa.literal_column("0"))
# Ties (a year, a rating) are sorted by title from the index's order: about 3 ms a
# page for the largest tie of a 50,000-movie list. Indexing title_key and id too
# made that 0.3 ms but the 100,000-row import's write transaction 0.25 s longer
# (1.6 -> 1.85 s on SQLite against its 2 s bound), so they stay out.
sa.Index("ix_movie_list_by_year", Movie.user_id, Movie.watched, YEAR_OR_LAST.desc())
sa.Index(
    "ix_movie_list_by_watched_on",
    Movie.user_id,
    Movie.watched,
    WATCHED_ON_OR_LAST.desc(),
)
sa.Index("ix_movie_list_by_rating", Movie.user_id, Movie.watched, RATING_OR_LAST.desc())

# A title and year name one movie of a user, unless a source tells films apart by
# their ids (two films called "Rain", both 2019): the rule holds for movies without
# ids, and each id names at most one movie of a user. A year left out counts as 0,
# so two movies without a year and with one title are one too.
NO_IDS = sa.and_(
    Movie.imdb_id.is_(None), Movie.tmdb_id.is_(None), Movie.letterboxd_uri.is_(None)
)
sa.Index(
    "uq_movie_title_year_without_ids",
    Movie.user_id,
    Movie.title_key,
    YEAR_OR_LAST,
    unique=True,
    sqlite_where=NO_IDS,
    postgresql_where=NO_IDS,
)
for id_column in (Movie.imdb_id, Movie.tmdb_id, Movie.letterboxd_uri):
    sa.Index(
        f"uq_movie_user_id_{id_column.key}",
        Movie.user_id,
        id_column,
        unique=True,
        sqlite_where=id_column.isnot(None),
        postgresql_where=id_column.isnot(None),
    )

install_with_create_all(Movie.__table__)
