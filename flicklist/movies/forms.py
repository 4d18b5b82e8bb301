"""Movie forms: add a movie, record a viewing, rate, keep a note, import a file."""

import re
from datetime import date
from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from flicklist.forms import NoControlCharacters, strip_filter
from flicklist.models import NOTE_MAX, TITLE_MAX
from flicklist.timeutil import today

FIRST_FILM_YEAR = 1870
EARLIEST_VIEWING = date(FIRST_FILM_YEAR, 1, 1)


PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
PLAIN_INTEGER = re.compile(r"[0-9]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_rating(value: str | None) -> int | None:
    """Half stars (1..10) for `0.5`..`5` in half steps; None for anything else.

    Only plain decimals count: `4`, `4.5`, `4.0`; not `nan`, `1e0`, `+4` or digits
    of other scripts, which Decimal would take.
    """
    text = (value or "").strip()
    if not PLAIN_NUMBER.fullmatch(text):
        return None
    halves = Decimal(text) * 2
    if halves != halves.to_integral_value() or not 1 <= halves <= 10:
        return None
    return int(halves)


def check_year(year: int | None) -> str | None:
    """An error message for a year outside 1870 to next year, else None."""
    if year is None:
        return None
    last = today().year + 1
    if not FIRST_FILM_YEAR <= year <= last:
        return f"Year must be between {FIRST_FILM_YEAR} and {last}."
    return None


class YearField(IntegerField):
    """An optional whole-number year with a message people understand."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
            return
        if not PLAIN_INTEGER.fullmatch(text):  # int() would take "1_999" or "+1999"
            self.data = None
            raise ValueError("Year must be a whole number, like 1999.")
        self.data = int(text)


class YearRange:
    def __call__(self, form: FlaskForm, field) -> None:
        message = check_year(field.data)
        if message:
            raise ValidationError(message)


class ViewingDate:
    """A viewing date is never in the future, nor before films existed."""

    def __call__(self, form: FlaskForm, field) -> None:
        if field.data is None:
            return
        if field.data > today():
            raise ValidationError("The date watched cannot be in the future.")
        if field.data < EARLIEST_VIEWING:
            raise ValidationError(
                f"The date watched cannot be before {FIRST_FILM_YEAR}."
            )


class MovieForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter a title."),
            Length(
                max=TITLE_MAX, message=f"Titles are at most {TITLE_MAX} characters."
            ),
            NoControlCharacters(),
        ],
    )
    year = YearField(
        "Year",
        validators=[Optional(), YearRange()],
        render_kw={"inputmode": "numeric", "min": FIRST_FILM_YEAR},
    )


class IsoDateField(DateField):
    """A date written exactly YYYY-MM-DD (strptime alone also takes 2020-1-5)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and valuelist[0].strip() and not ISO_DATE.fullmatch(valuelist[0]):
            self.data = None
            raise ValueError(self.invalid_value_message)
        super().process_formdata(valuelist)


class WatchedForm(FlaskForm):
    date = IsoDateField(
        "Date watched",
        validators=[Optional(), ViewingDate()],
        format="%Y-%m-%d",
        invalid_value_message="Enter the date watched as YYYY-MM-DD.",
    )


class RatingForm(FlaskForm):
    rating = StringField("Rating", validators=[InputRequired("Choose a rating.")])

    def validate_rating(self, field) -> None:
        field.halves = parse_rating(field.data)
        if field.halves is None:
            raise ValidationError("A rating is from 0.5 to 5 stars, in half stars.")


def normalise_note(value: str | None) -> str | None:
    """Browsers send line breaks as CRLF: count and keep each as one character."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Note",
        filters=[normalise_note],
        validators=[
            Length(max=NOTE_MAX, message=f"A note is at most {NOTE_MAX:,} characters."),
            NoControlCharacters(allow_line_breaks=True),
        ],
    )


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file to import.")],
        render_kw={"accept": ".csv,text/csv"},
    )
