"""Reading import files: recognise the kind, turn each row into a neutral record."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flicklist.rules import (
    CONTROL_CHARACTERS,
    LINE_BREAKS,
    NOTE_MAX,
    TITLE_MAX,
    has_control_characters,
    parse_rating,
    viewing_date_allowed,
    year_allowed,
)
from flicklist.transfer.export import FLICKLIST_HEADER, unescape_formula

# How much of a bad cell a rejection message quotes.
QUOTED_MAX = 20
# IMDb title types that are films; series, episodes, games and the rest are not.
FILM_TYPES = frozenset(
    {
        "movie",
        "featurefilm",
        "tvmovie",
        "short",
        "shortfilm",
        "tvshort",
        "video",
        "documentary",
    }
)
NOTE_CONTROL_CHARACTERS = CONTROL_CHARACTERS - LINE_BREAKS


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why."""


class RowError(ValueError):
    """One row cannot be read; the message says why."""


class NotAFilm(Exception):
    """The row is a series, an episode, a game: skipped, not rejected."""


@dataclass
class Record:
    """One movie as a file describes it, whatever the file's kind."""

    line: int
    title: str
    year: int | None
    viewings: list[date | None] = field(default_factory=list)
    rating_halves: int | None = None
    note: str = ""
    added_on: date | None = None


@dataclass
class ParsedFile:
    kind: str
    records: list[Record]
    not_films: int
    rejected: list[tuple[int, str]]


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), else Windows-1252."""
    if b"\x00" in data:
        raise ImportFileError("is not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError("is not a text file") from None


def column_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Row:
    """A data row whose cells are found by column name, ignoring case."""

    def __init__(self, columns: dict[str, int], cells: list[str]):
        self.columns = columns
        self.cells = cells

    def get(self, *names: str) -> str:
        for name in names:
            index = self.columns.get(column_key(name))
            if index is not None and index < len(self.cells):
                return self.cells[index].strip()
        return ""


def clean_title(raw: str) -> str:
    title = raw.strip()
    if not title:
        raise RowError("no title")
    if len(title) > TITLE_MAX:
        raise RowError(f"a title longer than {TITLE_MAX} characters")
    if has_control_characters(title):
        raise RowError("a title with control characters")
    return title


def clean_year(raw: str) -> int | None:
    if not raw:
        return None
    try:
        year = int(raw)
    except ValueError:
        raise RowError(f"a bad year ({raw[:QUOTED_MAX]})") from None
    if not year_allowed(year):
        raise RowError(f"a bad year ({year})")
    return year


def clean_rating(raw: str) -> int | None:
    """Half stars from a rating out of 5 (`4.5`, `4`, `4.0`)."""
    if not raw:
        return None
    halves = parse_rating(raw)
    if halves is None:
        raise RowError(f"a bad rating ({raw[:QUOTED_MAX]})")
    return halves


def clean_imdb_rating(raw: str) -> int | None:
    """IMDb rates out of 10: halve it, to the nearest half star."""
    if not raw:
        return None
    try:
        tens = Decimal(raw)
    except InvalidOperation:
        raise RowError(f"a bad rating ({raw[:QUOTED_MAX]})") from None
    if not tens.is_finite() or not 1 <= tens <= 10:
        raise RowError(f"a bad rating ({raw[:QUOTED_MAX]})")
    # Out of 10, one point is one half star.
    return int(tens.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_date(raw: str) -> date | None:
    """An ISO date (or the date part of an ISO timestamp); None for anything else."""
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def clean_viewing_date(raw: str) -> date | None:
    if not raw:
        return None
    watched_on = parse_date(raw)
    if watched_on is None:
        raise RowError(f"a bad date ({raw[:QUOTED_MAX]})")
    if not viewing_date_allowed(watched_on):
        raise RowError(f"a date out of range ({watched_on.isoformat()})")
    return watched_on


def clean_note(raw: str) -> str:
    note = "".join(char for char in raw if char not in NOTE_CONTROL_CHARACTERS)
    return note.strip()[:NOTE_MAX]


def require_film(row: Row) -> None:
    kind = "".join(char for char in row.get("Title Type").casefold() if char.isalnum())
    if kind and kind not in FILM_TYPES:
        raise NotAFilm


def record_from_flicklist(row: Row) -> Record:
    watched = row.get("Watched").casefold()
    if watched not in ("yes", "no", ""):
        raise RowError(f"Watched is neither yes nor no ({watched[:QUOTED_MAX]})")
    return Record(
        line=0,
        title=clean_title(unescape_formula(row.get("Title"))),
        year=clean_year(row.get("Year")),
        viewings=[clean_viewing_date(row.get("WatchedDate"))]
        if watched == "yes"
        else [],
        rating_halves=clean_rating(row.get("Rating")),
        added_on=parse_date(row.get("Added")),
    )


def letterboxd_record(row: Row, viewings: list[date | None]) -> Record:
    return Record(
        line=0,
        title=clean_title(row.get("Name")),
        year=clean_year(row.get("Year")),
        viewings=viewings,
        rating_halves=clean_rating(row.get("Rating")),
        note=clean_note(row.get("Review")),
        added_on=parse_date(row.get("Date")),
    )


def record_from_letterboxd_watchlist(row: Row) -> Record:
    return letterboxd_record(row, [])


def record_from_letterboxd_watched(row: Row) -> Record:
    return letterboxd_record(row, [None])


def record_from_letterboxd_diary(row: Row) -> Record:
    return letterboxd_record(row, [clean_viewing_date(row.get("Watched Date"))])


def imdb_record(row: Row, rated: bool) -> Record:
    require_film(row)
    rating = clean_imdb_rating(row.get("Your Rating", "You rated"))
    watched = rated or rating is not None
    return Record(
        line=0,
        title=clean_title(row.get("Title")),
        year=clean_year(row.get("Year")),
        viewings=[clean_viewing_date(row.get("Date Rated"))] if watched else [],
        rating_halves=rating,
        added_on=parse_date(row.get("Created", "Date Rated")),
    )


def record_from_imdb_ratings(row: Row) -> Record:
    return imdb_record(row, rated=True)


def record_from_imdb_list(row: Row) -> Record:
    return imdb_record(row, rated=False)


RowParser = Callable[[Row], Record]

KIND_NAMES = {
    "flicklist": "a FlickList export",
    "letterboxd-watchlist": "a Letterboxd watchlist",
    "letterboxd-watched": "a Letterboxd watched list",
    "letterboxd-ratings": "Letterboxd ratings",
    "letterboxd-diary": "a Letterboxd diary or reviews",
    "imdb-ratings": "IMDb ratings",
    "imdb-list": "an IMDb list",
}

PARSERS: dict[str, RowParser] = {
    "flicklist": record_from_flicklist,
    "letterboxd-watchlist": record_from_letterboxd_watchlist,
    "letterboxd-watched": record_from_letterboxd_watched,
    "letterboxd-ratings": record_from_letterboxd_watched,
    "letterboxd-diary": record_from_letterboxd_diary,
    "imdb-ratings": record_from_imdb_ratings,
    "imdb-list": record_from_imdb_list,
}


def recognise(header: list[str], filename: str) -> str | None:
    """The kind of file a header (and, for Letterboxd, the file name) belongs to."""
    names = {column_key(name) for name in header}

    def has(*wanted: str) -> bool:
        return all(column_key(name) in names for name in wanted)

    if has(*FLICKLIST_HEADER):
        return "flicklist"
    if has("Position", "Const", "Created", "Title"):
        return "imdb-list"
    if has("Const", "Your Rating", "Date Rated", "Title"):
        return "imdb-ratings"
    if has("Name", "Letterboxd URI"):
        if has("Watched Date"):
            return "letterboxd-diary"
        if has("Rating"):
            return "letterboxd-ratings"
        base = filename.replace("\\", "/").rsplit("/", 1)[-1].casefold()
        if "watched" in base and "watchlist" not in base:
            return "letterboxd-watched"
        return "letterboxd-watchlist"
    return None


def rows_with_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the line each starts on (quoted cells may hold line breaks)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            f"is not a readable CSV file (line {line}: {error})"
        ) from error


def parse_file(data: bytes, filename: str) -> ParsedFile:
    """Every record a file holds, the rows that are not films and the rejected rows."""
    if not data.strip():
        raise ImportFileError("is empty")
    rows = rows_with_lines(decode(data))
    header = next((cells for _, cells in rows if any(c.strip() for c in cells)), None)
    kind = recognise(header, filename) if header else None
    if kind is None:
        raise ImportFileError(
            "is not a kind of file FlickList knows (a FlickList export, a Letterboxd "
            "or an IMDb CSV export)"
        )
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(column_key(name), index)
    parser = PARSERS[kind]
    parsed = ParsedFile(kind=kind, records=[], not_films=0, rejected=[])
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        try:
            record = parser(Row(columns, cells))
        except NotAFilm:
            parsed.not_films += 1
            continue
        except RowError as error:
            parsed.rejected.append((line, str(error)))
            continue
        record.line = line
        parsed.records.append(record)
    return parsed
