"""The account page: change password, sign out other sessions, delete the account."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from flicklist.auth.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    EmptyForm,
    EndSessionsForm,
    ShareForm,
)
from flicklist.auth.share import take_new_share_url
from flicklist.auth.views import account_limit, bp
from flicklist.extensions import client_address, db, limiter
from flicklist.forms import flash_errors
from flicklist.models import User
from flicklist.passwords import hash_password, verify_password
from flicklist.sessions import (
    active_sessions,
    end_all_sessions,
    end_other_sessions,
    forget_login,
    start_session,
)


def account_key() -> str:
    """Account forms are throttled per user, from whichever address they come."""
    user_id = getattr(current_user, "id", None)
    return f"user:{user_id}" if user_id is not None else client_address()


# One counter for every form that checks the password, so guesses cannot alternate.
account_forms_limit = limiter.shared_limit(
    account_limit, scope="account-forms", key_func=account_key
)


def current_password_matches(password: str) -> bool:
    """Check the user's password without holding a transaction open during the hash."""
    stored_hash = current_user.password_hash
    db.session.rollback()
    return verify_password(stored_hash, password)


@bp.get("/account")
@login_required
def account():
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        password_form=ChangePasswordForm(),
        delete_form=DeleteAccountForm(),
        share_form=ShareForm(),
        button_form=EmptyForm(),
        sessions_form=EndSessionsForm(),
        sessions=active_sessions(user),
        current_session_id=user.current_session.id,
        share_link=user.share_link,
        new_share_url=take_new_share_url(),
    )


@bp.post("/account/password")
@login_required
@account_forms_limit
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        flash_errors(form)
    elif not current_password_matches(form.current_password.data):
        flash("Your current password is not correct.", "error")
    else:
        user = current_user._get_current_object()
        new_hash = hash_password(form.new_password.data)
        remember = user.current_session.remember
        user.password_hash = new_hash
        end_all_sessions(user)
        db.session.commit()
        start_session(user, remember=remember)
        flash(
            "Your password has been changed. Other sessions were signed out.", "success"
        )
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/sessions/others/delete")
@login_required
@account_forms_limit
def end_other_logins():
    form = EndSessionsForm()
    if not form.validate_on_submit():
        flash_errors(form)
    elif not current_password_matches(form.confirm_password.data):
        flash("That password is not correct. No session was signed out.", "error")
    else:
        count = end_other_sessions(current_user._get_current_object())
        flash(
            f"Signed out {count} other session{'s' if count != 1 else ''}.", "success"
        )
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/delete")
@login_required
@account_forms_limit
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("auth.account"), code=303)
    if not current_password_matches(form.password.data):
        flash("That password is not correct. Nothing was deleted.", "error")
        return redirect(url_for("auth.account"), code=303)
    # The foreign keys cascade to sessions, movies, viewings and the share link.
    db.session.execute(sa.delete(User).where(User.id == current_user.id))
    db.session.commit()
    forget_login()
    flash("Your account and all its movies have been deleted.", "success")
    return redirect(url_for("auth.login"), code=303)
