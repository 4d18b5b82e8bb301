"""Registering, logging in and logging out."""

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from flicklist.auth.forms import (
    ALREADY_REGISTERED,
    INVALID_LOGIN,
    LoginForm,
    RegisterForm,
)
from flicklist.auth.logins import (
    authenticate,
    end_current_session,
    hash_new_password,
    start_session,
)
from flicklist.auth.throttle import login_limits, refund_login_attempt
from flicklist.extensions import client_address, config_limit, db, limiter
from flicklist.form_helpers import flash_errors
from flicklist.models import User
from flicklist.security import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    config_limit("REGISTER_RATE_LIMIT"), methods=["POST"], key_func=client_address
)
def register():
    # Open to a logged-in visitor too: registering again logs in as the new account.
    form = RegisterForm()
    if form.validate_on_submit():
        user = User(
            email=form.email.data, password_hash=hash_new_password(form.password.data)
        )
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            # Someone registered the same address between our check and our insert.
            db.session.rollback()
            flash(ALREADY_REGISTERED, "error")
            return render_template("auth/register.html", form=form)
        start_session(user)
        flash("Welcome to FlickList! Your watchlist is ready.", "success")
        return redirect(url_for("movies.index"), code=303)
    flash_errors(form)
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    next_target = request.args.get("next") or request.form.get("next")
    # Open to a logged-in visitor too: logging in again replaces the session.
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data.lower(), form.password.data)
        if user is not None:
            refund_login_attempt()
            start_session(user, remember=form.remember.data)
            flash("You are logged in.", "success")
            return redirect(safe_next(next_target, url_for("movies.index")), code=303)
        flash(INVALID_LOGIN, "error")
    elif form.is_submitted():
        flash_errors(form)
    return render_template("auth/login.html", form=form, next_target=next_target)


@bp.post("/logout")
@login_required
def logout():
    end_current_session(current_user._get_current_object())
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"), code=303)
