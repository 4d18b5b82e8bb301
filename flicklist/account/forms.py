"""The account page's forms: password change, sessions, deletion, share link."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import EqualTo, InputRequired

from flicklist.auth.forms import PASSWORDS_DIFFER, NewPassword


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Choose a new password."), NewPassword()],
        render_kw={"autocomplete": "new-password"},
    )
    verify = PasswordField(
        "Verify new password",
        validators=[EqualTo("new_password", message=PASSWORDS_DIFFER)],
        render_kw={"autocomplete": "new-password"},
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password to delete the account.")],
        render_kw={"autocomplete": "current-password"},
    )


class SignOutOthersForm(FlaskForm):
    """Signing out the other sessions asks for the password again (ASVS 7.5.2)."""

    confirm_password = PasswordField(
        "Your password",
        validators=[
            InputRequired("Enter your password to sign out the other sessions.")
        ],
        render_kw={"autocomplete": "current-password"},
    )


class ShareForm(FlaskForm):
    include_watchlist = BooleanField("Include my watchlist")
