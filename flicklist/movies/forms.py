"""Movie forms: add a movie, record a viewing, rate, keep a note."""

import re

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from flicklist.form_helpers import NoControlCharacters, strip_filter
from flicklist.rules import (
    EARLIEST_VIEWING,
    FIRST_FILM_YEAR,
    NOTE_MAX,
    TITLE_MAX,
    last_allowed_year,
    parse_rating,
    year_allowed,
)
from flicklist.timeutil import today

PLAIN_INTEGER = re.compile(r"[0-9]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
        if field.data is not None and not year_allowed(field.data):
            raise ValidationError(
                f"Year must be between {FIRST_FILM_YEAR} and {last_allowed_year()}."
            )


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


class IsoDateField(DateField):
    """A date written exactly YYYY-MM-DD (strptime alone also takes 2020-1-5)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and valuelist[0].strip() and not ISO_DATE.fullmatch(valuelist[0]):
            self.data = None
            raise ValueError(self.invalid_value_message)
        super().process_formdata(valuelist)


class RatingField(StringField):
    """A rating sent as `0.5`..`5`; its data is the number of half stars, 1..10."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist and valuelist[0]:  # an empty one is InputRequired's to refuse
            self.data = parse_rating(valuelist[0])
            if self.data is None:
                raise ValueError("A rating is from 0.5 to 5 stars, in half stars.")


def normalise_note(value: str | None) -> str | None:
    """Browsers send line breaks as CRLF: count and keep each as one character."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


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
    year = YearField("Year", validators=[Optional(), YearRange()])


class WatchedForm(FlaskForm):
    date = IsoDateField(
        "Date watched",
        validators=[Optional(), ViewingDate()],
        format="%Y-%m-%d",
        invalid_value_message="Enter the date watched as YYYY-MM-DD.",
    )


class RatingForm(FlaskForm):
    rating = RatingField("Rating", validators=[InputRequired("Choose a rating.")])


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Note",
        filters=[normalise_note],
        validators=[
            Length(max=NOTE_MAX, message=f"A note is at most {NOTE_MAX:,} characters."),
            NoControlCharacters(allow_line_breaks=True),
        ],
    )
