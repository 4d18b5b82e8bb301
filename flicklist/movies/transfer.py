"""Moving movies in and out: the CSV export and the import of a file."""

from flask import flash, stream_with_context
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from flicklist.extensions import db
from flicklist.forms import flash_errors
from flicklist.movies.actions import back
from flicklist.movies.exporter import export_lines
from flicklist.movies.forms import ImportForm
from flicklist.movies.importer import (
    KIND_NAMES,
    ImportFileError,
    ParsedFile,
    parse_file,
)
from flicklist.movies.importing import ImportResult, import_records
from flicklist.movies.views import bp
from flicklist.timeutil import today

REJECTED_SHOWN = 5


@bp.get("/export.csv")
def export_csv():
    """Every movie of the user as CSV, streamed so a long list takes little memory."""
    filename = f"flicklist-{today().isoformat()}.csv"
    return Response(
        stream_with_context(export_lines(current_user.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def counts(result: ImportResult) -> str:
    # Duplicates are skipped even when they fill in what a movie lacked: the
    # contract counts them as skipped, and "updated" says how many filled.
    text = (
        f"{result.added} added, {result.skipped} skipped ({result.duplicates} "
        f"already on your list, {result.updated} of them updated; "
        f"{plural(result.not_films, 'not a film', 'not films')}), "
        f"{len(result.rejected)} rejected"
    )
    if result.rejected:
        shown = [
            f"line {line}: {why}" for line, why in result.rejected[:REJECTED_SHOWN]
        ]
        more = len(result.rejected) - REJECTED_SHOWN
        if more > 0:
            shown.append(f"and {plural(more, 'more row', 'more rows')}")
        text += f" ({'; '.join(shown)})"
    return text


def nothing_to_import(parsed: ParsedFile) -> ImportFileError:
    if not (parsed.not_films or parsed.rejected):
        return ImportFileError("has no movies in it")
    return ImportFileError(
        f"has nothing to import: {counts(ImportResult.of_file(parsed))}"
    )


@bp.post("/import")
def import_file():
    """Import a FlickList, Letterboxd or IMDb CSV: all of it, or nothing."""
    form = ImportForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back()
    upload = form.file.data
    name = (upload.filename or "The file")[-100:]
    try:
        parsed = parse_file(upload.read(), name)
        if not parsed.records:
            raise nothing_to_import(parsed)
        result = import_records(current_user.id, parsed)
        db.session.commit()
    except ImportFileError as error:
        db.session.rollback()
        flash(f"{name} {error}. Nothing was imported.", "error")
        return back()
    except IntegrityError:
        db.session.rollback()
        flash("Your list changed during the import. Nothing was imported.", "error")
        return back()
    flash(f"Imported {name} ({KIND_NAMES[parsed.kind]}): {counts(result)}.", "success")
    return back()
