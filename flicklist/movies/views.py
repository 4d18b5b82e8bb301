"""The lists, the page of one movie, and adding a movie."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from flicklist.extensions import db
from flicklist.forms import CONTROL_CHARACTERS, flash_errors
from flicklist.models import TITLE_MAX, Movie
from flicklist.movies.forms import MovieForm, NoteForm, RatingForm, WatchedForm
from flicklist.movies.queries import (
    WATCHED_SORTS,
    WATCHLIST_SORTS,
    movie_page,
    page_number,
)
from flicklist.movies.watchlist import add_movie, find_movie, own_movie_query
from flicklist.timeutil import today

bp = Blueprint("movies", __name__)

ALREADY_ON_LIST = "{title} is already on your list."


@bp.before_request
@login_required
def require_login() -> None:
    """Every movie page is behind the login wall."""


def search_text() -> str:
    """The `q` parameter, trimmed and cleared of characters no title holds."""
    raw = request.args.get("q", "")[:TITLE_MAX]
    return "".join(char for char in raw if char not in CONTROL_CHARACTERS).strip()


def list_arguments(sorts: tuple[str, ...]) -> tuple[str, str, int]:
    sort = request.args.get("sort", sorts[0])
    return (
        search_text(),
        sort if sort in sorts else sorts[0],
        page_number(request.args.get("page")),
    )


def own_movie_or_404(movie_id: int) -> Movie:
    """The current user's movie; another user's id is simply not found."""
    query = own_movie_query(current_user.id, movie_id)
    if request.method == "POST":
        # Lock the row until commit, so two POSTs at once (a double click) cannot
        # both count from the same viewing_count. SQLite already has BEGIN IMMEDIATE.
        query = query.with_for_update()
    movie = db.session.scalar(query)
    if movie is None:
        abort(404)
    return movie


@bp.get("/")
def index():
    q, sort, number = list_arguments(WATCHLIST_SORTS)
    page = movie_page(
        current_user.id,
        watched=False,
        q=q,
        sort=sort,
        number=number,
        per_page=current_app.config["MOVIES_PER_PAGE"],
    )
    return render_template(
        "movies/index.html",
        page=page,
        q=q,
        sort=sort,
        sorts=WATCHLIST_SORTS,
        max_year=today().year + 1,
    )


@bp.get("/watched")
def watched():
    q, sort, number = list_arguments(WATCHED_SORTS)
    page = movie_page(
        current_user.id,
        watched=True,
        q=q,
        sort=sort,
        number=number,
        per_page=current_app.config["MOVIES_PER_PAGE"],
    )
    return render_template(
        "movies/watched.html", page=page, q=q, sort=sort, sorts=WATCHED_SORTS
    )


@bp.post("/movies")
def add():
    form = MovieForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("movies.index"), code=303)
    title, year = form.title.data, form.year.data
    if find_movie(current_user.id, title, year) is not None:
        flash(ALREADY_ON_LIST.format(title=title), "error")
        return redirect(url_for("movies.index"), code=303)
    try:
        add_movie(current_user.id, title, year)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(ALREADY_ON_LIST.format(title=title), "error")
        return redirect(url_for("movies.index"), code=303)
    flash(f"Added {title} to your watchlist.", "success")
    return redirect(url_for("movies.index"), code=303)


@bp.get("/movies/<id:movie_id>")
def detail(movie_id: int):
    movie = own_movie_or_404(movie_id)
    return render_template(
        "movies/detail.html",
        movie=movie,
        watched_form=WatchedForm(formdata=None),
        rating_form=RatingForm(formdata=None),
        note_form=NoteForm(formdata=None, note=movie.note),
    )
