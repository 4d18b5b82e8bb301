"""The owner's side of the share link: create (or replace) it, revoke it."""

from flask import flash, redirect, session, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from flicklist.auth.forms import EmptyForm, ShareForm
from flicklist.auth.views import account_limit, bp
from flicklist.extensions import db, limiter
from flicklist.forms import flash_errors
from flicklist.sharing import replace_share_link, revoke_share_link

# Session key holding a new link until the account page has shown it once.
NEW_SHARE_URL = "new_share_url"


def take_new_share_url() -> str | None:
    """The link created just before, once: the server cannot rebuild it later."""
    return session.pop(NEW_SHARE_URL, None)


# Creating or revoking a link is an account change: the account forms' budget.
@bp.post("/account/share")
@login_required
@limiter.limit(account_limit)
def create_share_link():
    form = ShareForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("auth.account"), code=303)
    try:
        token = replace_share_link(
            current_user.id, include_watchlist=form.include_watchlist.data
        )
        db.session.commit()
    except IntegrityError:
        # Two creations raced for the same account; neither link was half-made.
        db.session.rollback()
        flash("The share link could not be created. Please try again.", "error")
        return redirect(url_for("auth.account"), code=303)
    session[NEW_SHARE_URL] = url_for("public.shared_list", token=token, _external=True)
    flash(
        "Your new share link is ready. Copy it now: it is shown only once.", "success"
    )
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/share/delete")
@login_required
@limiter.limit(account_limit)
def delete_share_link():
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("auth.account"), code=303)
    session.pop(NEW_SHARE_URL, None)
    if revoke_share_link(current_user.id):
        db.session.commit()
        flash("Your share link is revoked: it no longer opens your list.", "success")
    else:
        flash("You have no share link to revoke.", "info")
    return redirect(url_for("auth.account"), code=303)
