"""Read-only share links: a random token for the owner, only its SHA-256 kept here.

Functions here change the session but never commit, like flicklist/movies/changes.py.
"""

import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import ShareLink
from flicklist.security import TOKEN_MAX_LENGTH, new_token, token_digest
from flicklist.timeutil import utcnow


def create_share_link(user_id: int, *, include_watchlist: bool) -> str:
    """Give the user a new link, revoking any old one; returns the raw token.

    The raw token exists only in this return value: the database keeps its digest.
    """
    token = new_token()
    link = db.session.get(ShareLink, user_id)
    if link is None:
        link = ShareLink(user_id=user_id)
        db.session.add(link)
    link.token_hash = token_digest(token)
    link.include_watchlist = include_watchlist
    link.created_at = utcnow()
    db.session.flush()
    return token


def revoke_share_link(user_id: int) -> bool:
    """Delete the user's link; False when there was none."""
    result = db.session.execute(
        sa.delete(ShareLink).where(ShareLink.user_id == user_id)
    )
    return result.rowcount > 0


def find_share_link(token: str) -> ShareLink | None:
    """The live link for a raw token, or None for an unknown or revoked one."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return db.session.scalar(
        sa.select(ShareLink).where(ShareLink.token_hash == token_digest(token))
    )
