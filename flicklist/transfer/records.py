"""What every reader of an import hands to the merge: neutral records of films and
a report of the rows it did not take, whatever the source (CSV, ZIP, JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Report outcomes: a row left out because it is not a film or is already there;
# a row that could not be read; a row taken with something to say about it.
SKIPPED = "skipped"
REJECTED = "rejected"
NOTED = "noted"


@dataclass(slots=True)
class Record:
    """One film as a source describes it.

    `viewings` holds a date per viewing, None for "watched at some time" (a
    placeholder that dated viewings replace). Ids are already checked
    (rules.imdb_id, rules.tmdb_id, rules.letterboxd_uri); a Letterboxd diary or
    review address names the entry, not the film, and is not an id.
    """

    file: str
    line: int
    title: str
    year: int | None
    viewings: list[date | None] = field(default_factory=list)
    rating_halves: int | None = None
    note: str = ""
    added_on: date | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    letterboxd_uri: str | None = None
    liked: bool = False
    tags: list[str] = field(default_factory=list)

    @property
    def has_ids(self) -> bool:
        return bool(self.imdb_id or self.tmdb_id or self.letterboxd_uri)


@dataclass(slots=True, frozen=True)
class ReportRow:
    """A row of an import's report: which file and line, what happened, why."""

    file: str
    line: int | None
    outcome: str
    reason: str


@dataclass(slots=True)
class SourceFile:
    """One file of an upload (the upload itself, or a member of its archive) read
    into records: one record per row taken, in the file's order, not yet grouped.

    `additive`: several rows of one film are several viewings (a diary, a watch
    history); in other files a repeated film is a duplicate.
    """

    name: str
    kind: str
    records: list[Record] = field(default_factory=list)
    report: list[ReportRow] = field(default_factory=list)
    rows: int = 0
    not_films: int = 0
    additive: bool = False


@dataclass(slots=True)
class Upload:
    """Everything one upload brings: its files, and what was said of the upload as
    a whole (members not read, lists not kept)."""

    name: str
    kind: str
    files: list[SourceFile] = field(default_factory=list)
    report: list[ReportRow] = field(default_factory=list)
