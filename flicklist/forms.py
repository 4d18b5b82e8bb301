"""Helpers shared by the forms of every blueprint."""

from flask import flash
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

CONTROL_CHARACTERS = frozenset(chr(code) for code in range(32)) | {"\x7f"}
LINE_BREAKS = frozenset("\r\n\t")


def flash_errors(form: FlaskForm) -> None:
    """Flash every error of every field, each as its own message."""
    for field in form:
        for error in field.errors:
            flash(error, "error")
    for error in form.form_errors:
        flash(error, "error")


def strip_filter(value: str | None) -> str | None:
    """WTForms filter: trim surrounding whitespace from a text field."""
    return value.strip() if isinstance(value, str) else value


class NoControlCharacters:
    """Refuse NUL and other control characters (PostgreSQL cannot store NUL)."""

    def __init__(self, allow_line_breaks: bool = False, message: str | None = None):
        self.forbidden = CONTROL_CHARACTERS - (
            LINE_BREAKS if allow_line_breaks else set()
        )
        self.message = message

    def __call__(self, form: FlaskForm, field) -> None:
        if field.data and any(char in self.forbidden for char in field.data):
            raise ValidationError(
                self.message or f"{field.label.text} contains characters not allowed."
            )
