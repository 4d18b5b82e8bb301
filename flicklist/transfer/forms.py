"""The import form."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file", validators=[FileRequired("Choose a CSV file to import.")]
    )
