"""The forms of logging in and registering, and the rules for a new password."""

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from flicklist.auth.emails import login_email, normalise_email
from flicklist.auth.passwords import is_common_password
from flicklist.extensions import db
from flicklist.form_helpers import NoControlCharacters, strip_filter
from flicklist.models import User
from flicklist.rules import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN

ALREADY_REGISTERED = "That email is already registered. Log in instead."
PASSWORD_LENGTH = f"Choose a password of {PASSWORD_MIN} to {PASSWORD_MAX} characters."
PASSWORDS_DIFFER = "The passwords do not match."
INVALID_LOGIN = "Invalid email or password."


class NewPassword:
    """8 to 128 characters of anything, and not one of the most common passwords.

    Password fields use InputRequired, not DataRequired: eight spaces are a password.
    """

    def __call__(self, form: FlaskForm, field) -> None:
        password = field.data or ""
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise ValidationError(PASSWORD_LENGTH)
        if is_common_password(password):
            raise ValidationError(
                "That password is one of the most common ones. Choose another."
            )


class RegisterForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=EMAIL_MAX, message="That email address is too long."),
        ],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Choose a password."), NewPassword()],
        render_kw={"autocomplete": "new-password"},
    )
    verify = PasswordField(
        "Verify password",
        validators=[EqualTo("password", message=PASSWORDS_DIFFER)],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_email(self, field) -> None:
        normal = normalise_email(field.data)
        if normal is None:
            raise ValidationError("Enter a valid email address.")
        field.data = normal
        taken = db.session.scalar(sa.select(User.id).where(User.email == field.data))
        if taken is not None:
            raise ValidationError(ALREADY_REGISTERED)


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=EMAIL_MAX, message=INVALID_LOGIN),
            NoControlCharacters(message=INVALID_LOGIN),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Remember me")

    def validate_email(self, field) -> None:
        """Compared the way registration stored it (flicklist/auth/emails.py).

        An invalid address is not refused here: it matches no account, so the view
        spends the same hash check on it and says INVALID_LOGIN like any other miss.
        """
        field.data = login_email(field.data)
