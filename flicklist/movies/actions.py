"""POST actions on one movie: watched, put back, rate, note, delete.

CSRFProtect checks the token of every POST before these views run, so forms with
no fields of their own need no form class here.
"""

from flask import abort, flash, redirect, request, url_for

from flicklist.extensions import db
from flicklist.forms import flash_errors
from flicklist.models import Movie
from flicklist.movies.forms import NoteForm, RatingForm, WatchedForm
from flicklist.movies.views import bp, own_movie_or_404
from flicklist.movies.watchlist import forget_viewings, record_viewing, remove_viewing
from flicklist.security import safe_next
from flicklist.timeutil import today


def back(default: str | None = None):
    """Return to the page the form was on (its hidden `next`), or to a default."""
    target = safe_next(request.form.get("next"), default or url_for("movies.index"))
    return redirect(target, code=303)


def movie_page_url(movie: Movie) -> str:
    return url_for("movies.detail", movie_id=movie.id)


@bp.post("/movies/<id:movie_id>/watched")
def mark_watched(movie_id: int):
    movie = own_movie_or_404(movie_id)
    form = WatchedForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back()
    first = not movie.watched
    record_viewing(movie, form.date.data or today())
    db.session.commit()
    if first:
        flash(f"Crossed {movie.title} off your watchlist.", "success")
    else:
        flash(f"Recorded another viewing of {movie.title}.", "success")
    return back()


@bp.post("/movies/<id:movie_id>/unwatched")
def mark_unwatched(movie_id: int):
    movie = own_movie_or_404(movie_id)
    forget_viewings(movie)
    db.session.commit()
    flash(f"Put {movie.title} back on your watchlist.", "success")
    return back()


@bp.post("/movies/<id:movie_id>/rating")
def rate(movie_id: int):
    movie = own_movie_or_404(movie_id)
    form = RatingForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back()
    if not movie.watched:
        flash(f"Mark {movie.title} as watched before rating it.", "error")
        return back()
    movie.rating_halves = form.rating.halves
    db.session.commit()
    flash(f"Rated {movie.title} {movie.rating:g} out of 5.", "success")
    return back()


@bp.post("/movies/<id:movie_id>/note")
def save_note(movie_id: int):
    movie = own_movie_or_404(movie_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back(movie_page_url(movie))
    movie.note = (form.note.data or "").strip()
    db.session.commit()
    flash("Note saved." if movie.note else "Note cleared.", "success")
    return back(movie_page_url(movie))


@bp.post("/movies/<id:movie_id>/viewings/<id:viewing_id>/delete")
def delete_viewing(movie_id: int, viewing_id: int):
    movie = own_movie_or_404(movie_id)
    if not remove_viewing(movie, viewing_id):
        abort(404)
    db.session.commit()
    if movie.watched:
        flash("Viewing removed.", "success")
    else:
        flash(f"Viewing removed; {movie.title} is back on your watchlist.", "success")
    return back(movie_page_url(movie))


@bp.post("/movies/<id:movie_id>/delete")
def delete(movie_id: int):
    movie = own_movie_or_404(movie_id)
    title = movie.title
    db.session.delete(movie)
    db.session.commit()
    flash(f"Deleted {title}.", "success")
    return back()
