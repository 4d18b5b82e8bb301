"""URL converters."""

from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**31 - 1  # the largest integer key on every supported database


class IdConverter(BaseConverter):
    """A positive database id; one larger than any key is a 404, not an error."""

    regex = r"\d{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
