"""Moving movies in and out: the CSV export and the import of a file."""

from flask import Blueprint, current_app, flash, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from flicklist.extensions import client_address, config_limit, db, limiter
from flicklist.form_helpers import flash_errors
from flicklist.security import redirect_back
from flicklist.timeutil import today
from flicklist.transfer.export import export_lines
from flicklist.transfer.forms import ImportForm
from flicklist.transfer.merge import import_records, nothing_to_import
from flicklist.transfer.parse import KIND_NAMES, ImportFileError, parse_file

bp = Blueprint("transfer", __name__)

# File names are the user's: long ones are cut to their end in messages.
FILENAME_SHOWN = 100


@bp.before_request
@login_required
def require_login() -> None:
    """Importing and exporting are behind the login wall."""


@bp.get("/export.csv")
def export_csv():
    """Every movie of the user as CSV, streamed so a long list takes little memory."""
    filename = f"flicklist-{today().isoformat()}.csv"
    return Response(
        stream_with_context(export_lines(current_user.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def account_key() -> str:
    """Imports are throttled per user, from whichever address they come."""
    user_id = getattr(current_user, "id", None)
    return f"user:{user_id}" if user_id is not None else client_address()


@bp.post("/import")
@limiter.limit(config_limit("IMPORT_RATE_LIMIT"), key_func=account_key)
def import_file():
    """Import a FlickList, Letterboxd or IMDb CSV: all of it, or nothing."""
    form = ImportForm()
    back = url_for("movies.index")
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect_back(back)
    upload = form.file.data
    name = (upload.filename or "The file")[-FILENAME_SHOWN:]
    user_id = current_user.id
    # End the transaction that loading the user began before the file is read: on
    # SQLite a POST's transaction holds the write lock from its first statement,
    # and nobody else could log in or write while a large file is parsed.
    db.session.commit()
    try:
        parsed = parse_file(
            upload.stream, name, max_rows=current_app.config["IMPORT_MAX_ROWS"]
        )
        if not parsed.movies:
            raise nothing_to_import(parsed)
        result = import_records(user_id, parsed)
        db.session.commit()
    except ImportFileError as error:
        db.session.rollback()
        flash(f"{name} {error}. Nothing was imported.", "error")
        return redirect_back(back)
    except IntegrityError:
        db.session.rollback()
        flash("Your list changed during the import. Nothing was imported.", "error")
        return redirect_back(back)
    kind = KIND_NAMES[parsed.kind]
    flash(f"Imported {name} ({kind}): {result.summary()}.", "success")
    return redirect_back(back)
