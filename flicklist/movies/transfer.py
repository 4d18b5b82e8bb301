"""Moving movies in and out: the CSV export and the import of a file."""

from flask import current_app, flash, stream_with_context
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from flicklist.extensions import db
from flicklist.forms import flash_errors
from flicklist.movies.actions import back
from flicklist.movies.exporter import export_lines
from flicklist.movies.forms import ImportForm
from flicklist.movies.importer import KIND_NAMES, ImportFileError, parse_file
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


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts(result: ImportResult) -> str:
    text = (
        f"{result.added} added, {result.updated} updated, "
        f"{result.duplicates} skipped as duplicates, "
        f"{result.not_films} skipped as not films, {len(result.rejected)} rejected"
    )
    if result.rejected:
        shown = [
            f"line {line}: {why}" for line, why in result.rejected[:REJECTED_SHOWN]
        ]
        more = len(result.rejected) - REJECTED_SHOWN
        if more > 0:
            shown.append(f"and {plural(more, 'more row')}")
        text += f" ({'; '.join(shown)})"
    return text


@bp.post("/import")
def import_file():
    """Import a FlickList, Letterboxd or IMDb CSV: all of it, or nothing."""
    form = ImportForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back()
    upload = form.file.data
    name = (upload.filename or "The file")[-100:]
    data = upload.read(current_app.config["IMPORT_MAX_CONTENT_LENGTH"] + 1)
    try:
        parsed = parse_file(data, name)
        result = import_records(current_user.id, parsed)
        if not result.changed and not result.duplicates:
            raise ImportFileError(f"has nothing to import: {counts(result)}")
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
