"""Registering, logging in and logging out."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
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
from flicklist.extensions import client_address, db, limiter
from flicklist.forms import flash_errors
from flicklist.models import User
from flicklist.passwords import (
    burn_verify_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from flicklist.security import safe_next
from flicklist.sessions import end_current_session, start_session

bp = Blueprint("auth", __name__)


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def account_limit() -> str:
    """The budget of the account forms: password, sessions, deletion, share link."""
    return current_app.config["ACCOUNT_RATE_LIMIT"]


def login_account_key() -> str:
    """Rate-limit key for the account being tried, whoever tries it."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"account:{email}"


def login_failed(_response) -> bool:
    """Only failed attempts count against the login limits."""
    return bool(g.get("login_failed"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"], key_func=client_address)
def register():
    # Open to a logged-in visitor too: registering again logs in as the new account.
    form = RegisterForm()
    if form.validate_on_submit():
        # End the read transaction: the slow hash must not hold SQLite's write lock.
        db.session.rollback()
        user = User(
            email=form.email.data, password_hash=hash_password(form.password.data)
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
@limiter.limit(
    login_limit,
    methods=["POST"],
    key_func=client_address,
    deduct_when=login_failed,
    scope="login-address",
)
@limiter.limit(
    login_limit,
    methods=["POST"],
    key_func=login_account_key,
    deduct_when=login_failed,
    scope="login-account",
)
def login():
    next_target = request.args.get("next") or request.form.get("next")
    # Open to a logged-in visitor too: logging in again replaces the session.
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data.lower(), form.password.data)
        if user is not None:
            start_session(user, remember=form.remember.data)
            flash("You are logged in.", "success")
            return redirect(safe_next(next_target, url_for("movies.index")), code=303)
        flash(INVALID_LOGIN, "error")
    elif form.is_submitted():
        flash_errors(form)
    if form.is_submitted():
        g.login_failed = True
    return render_template("auth/login.html", form=form, next_target=next_target)


def authenticate(email: str, password: str) -> User | None:
    """The user with that email and password, or None; equally slow either way."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    stored_hash = user.password_hash if user is not None else None
    # End the read transaction before the slow hash (SQLite's write lock).
    db.session.rollback()
    if stored_hash is None:
        burn_verify_time(password)
        return None
    if not verify_password(stored_hash, password):
        return None
    if needs_rehash(stored_hash):
        new_hash = hash_password(password)
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(password_hash=new_hash)
        )
        db.session.commit()
    return user


@bp.post("/logout")
@login_required
def logout():
    end_current_session(current_user._get_current_object())
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"), code=303)
