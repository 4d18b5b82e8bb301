"""What the templates see beyond Flask's defaults: filters, globals, static URLs."""

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, request
from markupsafe import Markup

from flicklist import rules

# The query parameters a list page depends on; page_url keeps only these.
LIST_PARAMETERS = ("q", "sort", "page")


def page_url(**changes: object) -> str:
    """The current list page's URL with some of q, sort and page changed.

    Other parameters are dropped. It reads the request, so it is only for pages that
    are not kept for reuse (the shared list); a kept list page gets its links from
    its cache key instead (movies.views.list_view passes `page_link` to the pager).
    """
    args = {
        key: value
        for key, value in request.args.items()
        if key in LIST_PARAMETERS and value
    }
    args.update({key: str(value) for key, value in changes.items() if value})
    for key, value in changes.items():
        if not value:
            args.pop(key, None)
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


# Placeholders a kept star fieldset holds until a row fills them in; NUL is in no
# title (rules.CONTROL_CHARACTERS) and in no id.
STAR_ID, STAR_LEGEND = "\x00movie-id\x00", "\x00legend\x00"


class RatingStars:
    """The `rating_stars(movie_id, rating_halves, legend)` template global: the
    star_fieldset macro of macros.html, rendered once per rating and filled in.

    A page of 50 watched movies holds 500 radio buttons; rendering the macro for
    each row took three quarters of the page's time. A row's stars differ from
    another's only by the movie id, the legend and which star is checked, so the
    macro runs once for each of the eleven ratings, with placeholders, and each
    row fills in its id and (escaped) legend. In debug it runs every time, so an
    edited macro shows at once.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.kept: dict[int | None, Markup] = {}

    def __call__(self, movie_id: int, rating_halves: int | None, legend: str) -> Markup:
        markup = self.kept.get(rating_halves)
        if markup is None:
            macros = self.app.jinja_env.get_template("macros.html").module
            markup = macros.star_fieldset(STAR_ID, rating_halves, STAR_LEGEND)
            if not self.app.debug:
                self.kept[rating_halves] = markup
        # Markup.replace escapes what it puts in.
        return markup.replace(STAR_ID, str(int(movie_id))).replace(STAR_LEGEND, legend)


@cache
def file_version(path: Path, _mtime: float) -> str:
    """The first 12 hex digits of the file's SHA-256 (cached per modification time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def register_static_versions(app: Flask) -> None:
    """`url_for('static', ...)` adds `?v=<hash>`: a changed file gets a new URL."""
    folder = Path(app.static_folder or "")
    # Outside debug the files change only with a deploy (and a restart), so one
    # look per file is enough; in debug each url_for looks at the file again.
    known: dict[str, str | None] = {}

    def version(filename: str) -> str | None:
        path = folder / filename
        return file_version(path, path.stat().st_mtime) if path.is_file() else None

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        filename = values["filename"]
        if app.debug:
            found = version(filename)
        elif filename in known:
            found = known[filename]
        else:
            found = known[filename] = version(filename)
        if found:
            values["v"] = found


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(rules.format_rating, "stars")
    app.add_template_global(page_url)
    app.add_template_global(RatingStars(app), "rating_stars")
    # The limits forms and hints quote (`rules.TITLE_MAX`), never copied as numbers.
    app.add_template_global(rules, "rules")
    register_static_versions(app)
