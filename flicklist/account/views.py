"""The account page: change password, sign out other sessions, delete the account,
and the owner's side of the share link."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from flicklist.account import sharing
from flicklist.account.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    ShareForm,
    SignOutOthersForm,
)
from flicklist.auth import logins
from flicklist.auth.logins import current_password_matches
from flicklist.extensions import client_address, config_limit, db, limiter
from flicklist.form_helpers import flash_errors
from flicklist.models import ShareLink, User
from flicklist.security import site_url

bp = Blueprint("account", __name__, url_prefix="/account")

# Session key holding a new share link until the account page has shown it once.
NEW_SHARE_URL = "new_share_url"
account_limit = config_limit("ACCOUNT_RATE_LIMIT")


@bp.before_request
@login_required
def require_login() -> None:
    """Every account page is behind the login wall."""


def account_key() -> str:
    """Account forms are throttled per user, from whichever address they come."""
    user_id = getattr(current_user, "id", None)
    return f"user:{user_id}" if user_id is not None else client_address()


# One counter for every form that checks the password, so guesses cannot alternate.
password_forms_limit = limiter.shared_limit(
    account_limit, scope="account-forms", key_func=account_key
)


def back_to_account():
    return redirect(url_for("account.index"), code=303)


@bp.get("")
def index():
    user = current_user._get_current_object()
    return render_template(
        "account/index.html",
        password_form=ChangePasswordForm(),
        delete_form=DeleteAccountForm(),
        share_form=ShareForm(),
        sessions_form=SignOutOthersForm(),
        sessions=logins.active_sessions(user),
        current_session_id=user.current_session.id,
        share_link=db.session.get(ShareLink, user.id),
        # Shown once: only the token's digest is kept, so it cannot be rebuilt.
        new_share_url=session.pop(NEW_SHARE_URL, None),
    )


@bp.post("/password")
@password_forms_limit
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        flash_errors(form)
    elif not current_password_matches(form.current_password.data):
        flash("Your current password is not correct.", "error")
    else:
        logins.change_password(
            current_user._get_current_object(), form.new_password.data
        )
        flash(
            "Your password has been changed. Other sessions were signed out.", "success"
        )
    return back_to_account()


@bp.post("/sessions/others/delete")
@password_forms_limit
def sign_out_other_sessions():
    form = SignOutOthersForm()
    if not form.validate_on_submit():
        flash_errors(form)
    elif not current_password_matches(form.confirm_password.data):
        flash("That password is not correct. No session was signed out.", "error")
    else:
        count = logins.sign_out_other_sessions(current_user._get_current_object())
        sessions = "session" if count == 1 else "sessions"
        flash(f"Signed out {count} other {sessions}.", "success")
    return back_to_account()


@bp.post("/delete")
@password_forms_limit
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back_to_account()
    if not current_password_matches(form.password.data):
        flash("That password is not correct. Nothing was deleted.", "error")
        return back_to_account()
    # The foreign keys cascade to sessions, movies, viewings and the share link.
    db.session.execute(sa.delete(User).where(User.id == current_user.id))
    db.session.commit()
    logins.forget_login()
    flash("Your account and all its movies have been deleted.", "success")
    return redirect(url_for("auth.login"), code=303)


# The share link's two forms ask for no password: each has its own counter per
# client address, with the account forms' budget.
@bp.post("/share")
@limiter.limit(account_limit)
def create_share_link():
    form = ShareForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back_to_account()
    try:
        token = sharing.create_share_link(
            current_user.id, include_watchlist=form.include_watchlist.data
        )
        db.session.commit()
    except IntegrityError:
        # Two creations raced for the same account; neither link was half-made.
        db.session.rollback()
        flash("The share link could not be created. Please try again.", "error")
        return back_to_account()
    session[NEW_SHARE_URL] = site_url("public.shared_list", token=token)
    flash(
        "Your new share link is ready. Copy it now: it is shown only once.", "success"
    )
    return back_to_account()


@bp.post("/share/delete")
@limiter.limit(account_limit)
def revoke_share_link():
    # CSRFProtect has checked the token already: this form has no other field.
    session.pop(NEW_SHARE_URL, None)
    if sharing.revoke_share_link(current_user.id):
        db.session.commit()
        flash("Your share link is revoked: it no longer opens your list.", "success")
    else:
        flash("You have no share link to revoke.", "info")
    return back_to_account()
