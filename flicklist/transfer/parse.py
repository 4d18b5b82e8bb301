"""Reading import files: recognise the kind, turn each row into a neutral record."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, BinaryIO

from flicklist.rules import (
    CONTROL_CHARACTERS,
    LINE_BREAKS,
    NOTE_MAX,
    TITLE_MAX,
    VIEWINGS_PER_MOVIE_MAX,
    has_control_characters,
    parse_rating,
    title_key,
    viewing_date_allowed,
    year_allowed,
)
from flicklist.transfer.export import FLICKLIST_HEADER, unescape_formula

# How much of a bad cell a rejection message quotes.
QUOTED_MAX = 20
# The rejected rows a file keeps by line and reason (the flash names five); a file
# of a million bad rows is counted, not kept.
REJECTED_KEPT = 5
# The text a file may be in, tried in this order.
ENCODINGS = ("utf-8-sig", "cp1252")
SNIFFED_BYTES = 8192
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
NOTE_DELETIONS = dict.fromkeys(map(ord, NOTE_CONTROL_CHARACTERS))
# Distinct cell texts a column keeps cleaned (Columns.value): room for every day
# since 1870 (57,000), a few MiB at most, however the file varies its cells.
CLEANED_KEPT = 60_000


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why."""


class RowError(ValueError):
    """One row cannot be read; the message says why."""


class NotAFilm(Exception):
    """The row is a series, an episode, a game: skipped, not rejected."""


@dataclass(slots=True)
class Record:
    """One movie as a file describes it, whatever the file's kind."""

    line: int
    title: str
    year: int | None
    viewings: list[date | None] = field(default_factory=list)
    rating_halves: int | None = None
    note: str = ""
    added_on: date | None = None


Key = tuple[str, int | None]


def record_key(record: Record) -> Key:
    return title_key(record.title), record.year


def fill(target: Record, other: Record) -> None:
    """Give `target` what it lacks (rating, viewings, note) from `other`."""
    if target.rating_halves is None:
        target.rating_halves = other.rating_halves
    if not target.viewings:
        target.viewings = list(other.viewings)
    if not target.note:
        target.note = other.note


@dataclass(slots=True)
class ParsedFile:
    """What a file brings: one record per movie, grouped as the rows are read (a
    file of a million repeats holds one record), and the counts of the rest."""

    kind: str
    movies: dict[Key, Record] = field(default_factory=dict)
    rows: int = 0
    duplicates: int = 0
    not_films: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    rejected_count: int = 0

    @property
    def records(self) -> list[Record]:
        return list(self.movies.values())

    def reject(self, line: int, why: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < REJECTED_KEPT:
            self.rejected.append((line, why))

    def add(self, record: Record) -> None:
        """Diary rows add viewings to their movie; other repeats are duplicates."""
        key = record_key(record)
        first = self.movies.get(key)
        if first is None:
            self.movies[key] = record
        elif self.kind == "letterboxd-diary":
            if len(first.viewings) + len(record.viewings) > VIEWINGS_PER_MOVIE_MAX:
                self.reject(
                    record.line,
                    f"more than {VIEWINGS_PER_MOVIE_MAX:,} viewings of one movie",
                )
                return
            # Rewatches: every row is a viewing; the latest rating and review win.
            first.viewings.extend(record.viewings)
            first.rating_halves = record.rating_halves or first.rating_halves
            first.note = record.note or first.note
        else:
            self.duplicates += 1
            fill(first, record)


class Lines:
    """The lines of an uploaded file, decoded as they are read, never all at once.

    `blank` stays true while every line so far was only white space.
    """

    def __init__(self, stream: BinaryIO, encoding: str):
        self.text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        self.blank = True

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            if "\x00" in line:
                raise ImportFileError("is not a text file")
            if self.blank and not line.isspace():
                self.blank = False
            yield line

    def close(self) -> None:
        """Let go of the upload without closing it (a retry reads it again)."""
        self.text.detach()


def column_key(name: str) -> str:
    return " ".join(name.split()).casefold()


Cells = list[str]


class Columns:
    """A file's header: where each column is, found by name ignoring case, and the
    readers of a row's cells that each kind of file builds from it once."""

    def __init__(self, header: Cells):
        self.positions: dict[str, int] = {}
        for index, name in enumerate(header):
            self.positions.setdefault(column_key(name), index)

    def text(self, *names: str) -> Callable[[Cells], str]:
        """A reader of a row's cell in the first of these columns, trimmed: "" when
        the file has none of them or the row stops short."""
        keys = [column_key(name) for name in names]
        indexes = [self.positions[key] for key in keys if key in self.positions]
        if len(indexes) == 1:
            index = indexes[0]

            def read_one(cells: Cells) -> str:
                return cells[index].strip() if index < len(cells) else ""

            return read_one

        def read(cells: Cells) -> str:
            for index in indexes:
                if index < len(cells):
                    return cells[index].strip()
            return ""

        return read

    def value(self, clean: Callable[[str], Any], *names: str) -> Callable[[Cells], Any]:
        """A reader of clean(text), run once per distinct text in the file (up to
        CLEANED_KEPT of them): a file repeats its years, dates and ratings, and
        checking a date asks the clock. Only for a `clean` whose answer depends on
        the text alone and is immutable (a RowError it raises is raised again for
        each row)."""
        read = self.text(*names)
        done: dict[str, Any] = {}

        def value(cells: Cells) -> Any:
            raw = read(cells)
            try:
                return done[raw]
            except KeyError:
                cleaned = clean(raw)
                if len(done) < CLEANED_KEPT:
                    done[raw] = cleaned
                return cleaned

        return value


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
    return raw.translate(NOTE_DELETIONS).strip()[:NOTE_MAX]


def is_film(title_type: str) -> bool:
    kind = "".join(char for char in title_type.casefold() if char.isalnum())
    return not kind or kind in FILM_TYPES


RowParser = Callable[[Cells], Record]


def flicklist_parser(columns: Columns) -> RowParser:
    watched = columns.text("Watched")
    title = columns.text("Title")
    year = columns.value(clean_year, "Year")
    watched_on = columns.value(clean_viewing_date, "WatchedDate")
    rating = columns.value(clean_rating, "Rating")
    added = columns.value(parse_date, "Added")

    def parse(cells: Cells) -> Record:
        seen = watched(cells).casefold()
        if seen not in ("yes", "no", ""):
            raise RowError(f"Watched is neither yes nor no ({seen[:QUOTED_MAX]})")
        return Record(
            line=0,
            title=clean_title(unescape_formula(title(cells))),
            year=year(cells),
            viewings=[watched_on(cells)] if seen == "yes" else [],
            rating_halves=rating(cells),
            added_on=added(cells),
        )

    return parse


def letterboxd_parser(
    columns: Columns, viewings: Callable[[Cells], list[date | None]]
) -> RowParser:
    title = columns.text("Name")
    year = columns.value(clean_year, "Year")
    rating = columns.value(clean_rating, "Rating")
    review = columns.text("Review")
    added = columns.value(parse_date, "Date")

    def parse(cells: Cells) -> Record:
        # The viewing first: a row's bad date is the fault it is rejected for.
        seen = viewings(cells)
        return Record(
            line=0,
            title=clean_title(title(cells)),
            year=year(cells),
            viewings=seen,
            rating_halves=rating(cells),
            note=clean_note(review(cells)),
            added_on=added(cells),
        )

    return parse


def letterboxd_watchlist_parser(columns: Columns) -> RowParser:
    return letterboxd_parser(columns, lambda _cells: [])


def letterboxd_watched_parser(columns: Columns) -> RowParser:
    return letterboxd_parser(columns, lambda _cells: [None])


def letterboxd_diary_parser(columns: Columns) -> RowParser:
    watched_on = columns.value(clean_viewing_date, "Watched Date")
    return letterboxd_parser(columns, lambda cells: [watched_on(cells)])


def imdb_parser(columns: Columns, rated: bool) -> RowParser:
    film = columns.value(is_film, "Title Type")
    rating = columns.value(clean_imdb_rating, "Your Rating", "You rated")
    title = columns.text("Title")
    year = columns.value(clean_year, "Year")
    rated_on = columns.value(clean_viewing_date, "Date Rated")
    added = columns.value(parse_date, "Created", "Date Rated")

    def parse(cells: Cells) -> Record:
        if not film(cells):
            raise NotAFilm
        halves = rating(cells)
        watched = rated or halves is not None
        return Record(
            line=0,
            title=clean_title(title(cells)),
            year=year(cells),
            viewings=[rated_on(cells)] if watched else [],
            rating_halves=halves,
            added_on=added(cells),
        )

    return parse


def imdb_ratings_parser(columns: Columns) -> RowParser:
    return imdb_parser(columns, rated=True)


def imdb_list_parser(columns: Columns) -> RowParser:
    return imdb_parser(columns, rated=False)


KIND_NAMES = {
    "flicklist": "a FlickList export",
    "letterboxd-watchlist": "a Letterboxd watchlist",
    "letterboxd-watched": "a Letterboxd watched list",
    "letterboxd-ratings": "Letterboxd ratings",
    "letterboxd-diary": "a Letterboxd diary or reviews",
    "imdb-ratings": "IMDb ratings",
    "imdb-list": "an IMDb list",
}

# Each kind's parser is built once a file, from its header.
PARSERS: dict[str, Callable[[Columns], RowParser]] = {
    "flicklist": flicklist_parser,
    "letterboxd-watchlist": letterboxd_watchlist_parser,
    "letterboxd-watched": letterboxd_watched_parser,
    "letterboxd-ratings": letterboxd_watched_parser,
    "letterboxd-diary": letterboxd_diary_parser,
    "imdb-ratings": imdb_ratings_parser,
    "imdb-list": imdb_list_parser,
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


def rows_with_lines(lines: Lines) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the line each starts on (quoted cells may hold line breaks)."""
    reader = csv.reader(lines, strict=True)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            f"is not a readable CSV file (line {line}: {error})"
        ) from error


def parse_file(
    source: bytes | BinaryIO, filename: str, *, max_rows: int | None = None
) -> ParsedFile:
    """Every movie a file holds, the rows that are not films and the rejected rows.

    The file is read as a stream, in UTF-8 (with or without a BOM), else again from
    its start in Windows-1252. More than `max_rows` rows that are not blank refuse
    the file whole, as soon as the row past the limit is read.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    start = stream.tell()
    # Binary files show a NUL early; later ones are caught line by line.
    if b"\x00" in stream.read(SNIFFED_BYTES):
        raise ImportFileError("is not a text file")
    for encoding in ENCODINGS:
        stream.seek(start)
        lines = Lines(stream, encoding)
        try:
            return parse_lines(lines, filename, max_rows)
        except UnicodeDecodeError:
            continue
        finally:
            lines.close()
    raise ImportFileError("is not a text file")


def parse_lines(lines: Lines, filename: str, max_rows: int | None) -> ParsedFile:
    rows = rows_with_lines(lines)
    header = next((cells for _, cells in rows if any(c.strip() for c in cells)), None)
    if header is None and lines.blank:
        raise ImportFileError("is empty")
    kind = recognise(header, filename) if header else None
    if kind is None:
        raise ImportFileError(
            "is not a kind of file FlickList knows (a FlickList export, a Letterboxd "
            "or an IMDb CSV export)"
        )
    parser = PARSERS[kind](Columns(header))
    parsed = ParsedFile(kind=kind)
    for line, cells in rows:
        # A row of blank cells is no row (faster than asking each cell).
        if not "".join(cells).strip():
            continue
        parsed.rows += 1
        if max_rows is not None and parsed.rows > max_rows:
            raise ImportFileError(
                f"has more than {max_rows:,} rows, the most one import takes"
            )
        try:
            record = parser(cells)
        except NotAFilm:
            parsed.not_films += 1
            continue
        except RowError as error:
            parsed.reject(line, str(error))
            continue
        record.line = line
        parsed.add(record)
    return parsed
