"""Helpers shared by the forms of every blueprint: flashing errors, filters, checks."""

from flask import flash
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from flicklist.rules import has_control_characters


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
        self.allow_line_breaks = allow_line_breaks
        self.message = message

    def __call__(self, form: FlaskForm, field) -> None:
        if field.data and has_control_characters(
            field.data, allow_line_breaks=self.allow_line_breaks
        ):
            raise ValidationError(
                self.message or f"{field.label.text} contains characters not allowed."
            )
