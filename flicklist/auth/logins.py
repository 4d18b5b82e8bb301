"""Logging in and out: checking passwords, and server-side login records.

Flask-Login keeps whatever `User.get_id()` returns in the signed session cookie and
in the remember-me cookie. Here that is a random token whose SHA-256 is a row of
`user_session`: deleting the row makes every copy of those cookies worthless, so
logging out or changing a password really ends a login.

Argon2 is slow on purpose, so no transaction stays open while it runs: on SQLite
a transaction that later writes would hold the write lock for that long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, after_this_request, current_app, request, session
from flask_login import current_user, login_user, logout_user

from flicklist.auth.passwords import (
    burn_verify_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from flicklist.database import read_only_step
from flicklist.extensions import db
from flicklist.models import IP_ADDRESS_MAX, USER_AGENT_MAX, User, UserSession
from flicklist.security import new_token, token_digest
from flicklist.timeutil import utcnow


def hash_new_password(password: str) -> str:
    """The hash of a new password, made with no transaction open."""
    db.session.rollback()
    return hash_password(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Check a password with no transaction open; no hash costs as long as one."""
    db.session.rollback()
    if stored_hash is None:
        burn_verify_time(password)
        return False
    return verify_password(stored_hash, password)


def authenticate(email: str, password: str) -> User | None:
    """The user with that email and password, or None; equally slow either way."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    stored_hash = user.password_hash if user is not None else None
    if not password_matches(stored_hash, password):
        return None
    if needs_rehash(stored_hash):
        new_hash = hash_password(password)
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(password_hash=new_hash)
        )
        db.session.commit()
    return user


def current_password_matches(password: str) -> bool:
    """True when `password` is the logged-in user's password."""
    return password_matches(current_user.password_hash, password)


def change_password(user: SignedInUser, new_password: str) -> None:
    """Set a new password, end every login of the user, and log this browser in anew."""
    new_hash = hash_new_password(new_password)
    remember = user.current_session.remember
    db.session.execute(
        sa.update(User).where(User.id == user.id).values(password_hash=new_hash)
    )
    user.password_hash = new_hash
    end_all_sessions(user)
    db.session.commit()
    start_session(user, remember=remember)


def start_session(user: User | SignedInUser, *, remember: bool = False) -> None:
    """Log the user in with a fresh session record (no fixation: old data goes)."""
    config = current_app.config
    now = utcnow()
    lifetime = (
        config["REMEMBER_COOKIE_DURATION"]
        if remember
        else config["SESSION_ABSOLUTE_TIMEOUT"]
    )
    if current_user.is_authenticated and current_user.session_token:
        # Logging in over an existing login: that one ends here, not just in the cookie.
        db.session.execute(
            sa.delete(UserSession).where(
                UserSession.token_hash == token_digest(current_user.session_token)
            )
        )
    token = new_token()
    record = UserSession(
        user_id=user.id,
        token_hash=token_digest(token),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=(request.user_agent.string or "")[:USER_AGENT_MAX],
        ip_address=(request.remote_addr or "")[:IP_ADDRESS_MAX],
    )
    db.session.add(record)
    db.session.commit()
    user.session_token = token
    user.current_session = SessionRecord(record.id, remember)
    session.clear()
    login_user(user, remember=remember, duration=config["REMEMBER_COOKIE_DURATION"])


def end_current_session(user: SignedInUser) -> None:
    """Delete this login's record and forget the cookies."""
    if user.session_token is not None:
        db.session.execute(
            sa.delete(UserSession).where(
                UserSession.token_hash == token_digest(user.session_token)
            )
        )
        db.session.commit()
    forget_login()


def forget_login() -> None:
    """Clear the login and every other trace of it from the browser's cookies."""
    logout_user()
    # This also drops Flask-Login's note to clear the remember-me cookie, which it
    # would delete without `Secure` anyway: browsers ignore that for `__Host-` names.
    session.clear()
    after_this_request(clear_remember_cookie)


def clear_remember_cookie(response: Response) -> Response:
    """Expire the remember-me cookie with the attributes it was set with."""
    config = current_app.config
    # Pages of the account may linger in the browser's cache or storage: drop them.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    response.delete_cookie(
        config["REMEMBER_COOKIE_NAME"],
        path=config.get("REMEMBER_COOKIE_PATH", "/"),
        domain=config.get("REMEMBER_COOKIE_DOMAIN"),
        secure=config["REMEMBER_COOKIE_SECURE"],
        httponly=config["REMEMBER_COOKIE_HTTPONLY"],
        samesite=config["REMEMBER_COOKIE_SAMESITE"],
    )
    return response


def sign_out_other_sessions(user: SignedInUser) -> int:
    """Delete every session of the user but the current one; returns how many."""
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if user.current_session is not None:
        query = query.where(UserSession.id != user.current_session.id)
    count = db.session.execute(query).rowcount
    db.session.commit()
    return count


def end_all_sessions(user: User | SignedInUser) -> None:
    """Delete every session of the user (password change, account deletion)."""
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))


class SessionRecord(NamedTuple):
    """What a request needs of its login's record."""

    id: int
    remember: bool


@dataclass(eq=False)
class SignedInUser:
    """The logged-in account as Flask-Login's `current_user`, read from one row.

    A plain object rather than the ORM's User: loading ORM objects costs more than
    all the rest a cached list page does. Views change the account by its id
    (change_password, delete), never through this object.
    """

    id: int
    email: str
    password_hash: str
    created_at: datetime
    list_version: int
    session_token: str
    current_session: SessionRecord

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.session_token


SESSION, USER = UserSession.__table__.c, User.__table__.c
# Built once: every request runs it, and building a statement costs as much as
# running it against SQLite.
SESSION_AND_USER = (
    sa.select(
        SESSION.id,
        SESSION.remember,
        SESSION.last_seen_at,
        SESSION.expires_at,
        USER.id.label("user_id"),
        USER.email,
        USER.password_hash,
        USER.created_at,
        USER.list_version,
    )
    .join_from(UserSession.__table__, User.__table__, USER.id == SESSION.user_id)
    .where(SESSION.token_hash == sa.bindparam("token_hash"))
)


def load_user(token: str) -> SignedInUser | None:
    """Flask-Login's user loader: one query for the session and its user."""
    with read_only_step():
        row = (
            db.session.connection()
            .execute(SESSION_AND_USER, {"token_hash": token_digest(token)})
            .first()
        )
    if row is None:
        return None
    config = current_app.config
    now = utcnow()
    idle_limit = (
        config["REMEMBER_COOKIE_DURATION"]
        if row.remember
        else config["SESSION_IDLE_TIMEOUT"]
    )
    if row.expires_at <= now or now - row.last_seen_at > idle_limit:
        db.session.commit()
        db.session.execute(sa.delete(UserSession).where(UserSession.id == row.id))
        db.session.commit()
        return None
    if now - row.last_seen_at > config["SESSION_TOUCH_INTERVAL"]:
        # End the read first: a SQLite transaction that reads and then writes
        # can fail at once instead of waiting for the lock.
        db.session.commit()
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.id == row.id)
            .values(last_seen_at=now)
        )
        db.session.commit()
    return SignedInUser(
        id=row.user_id,
        email=row.email,
        password_hash=row.password_hash,
        created_at=row.created_at,
        list_version=row.list_version,
        session_token=token,
        current_session=SessionRecord(row.id, row.remember),
    )


def active_sessions(user: SignedInUser) -> list[UserSession]:
    """The user's sessions that have not expired, newest first."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
            .order_by(UserSession.last_seen_at.desc())
        )
    )
