"""The lists, the page of one movie, and adding a movie."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from flicklist.extensions import db
from flicklist.forms import CONTROL_CHARACTERS, flash_errors
from flicklist.models import TITLE_MAX, Movie
from flicklist.movies.forms import MovieForm, NoteForm, WatchedForm
from flicklist.movies.list_cache import list_cache
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


# Stands for the session's CSRF token in a cached page; NUL is in no stored title.
CSRF_SLOT = "\x00csrf-token\x00"


def list_view(template: str, *, watched: bool, sorts: tuple[str, ...]):
    """A list page, rendered once per list version and kept per user (list_cache)."""
    q, sort, number = list_arguments(sorts)
    user = current_user._get_current_object()

    def render() -> str:
        page = movie_page(
            user.id,
            watched=watched,
            q=q,
            sort=sort,
            number=number,
            per_page=current_app.config["MOVIES_PER_PAGE"],
        )
        back = url_for(
            request.endpoint,
            q=q or None,
            sort=None if sort == sorts[0] else sort,
            page=number if number > 1 else None,
        )
        return render_template(
            template,
            page=page,
            q=q,
            sort=sort,
            sorts=sorts,
            back=back,
            max_year=today().year + 1,
        )

    if session.get("_flashes"):
        return render()  # a message to show once: nothing to keep
    # created_at tells apart two accounts that got the same id: SQLite reuses the
    # highest id once its account is deleted, and the new list_version starts at 0.
    account = (user.id, user.created_at)
    key = (template, account, user.list_version, q, sort, number, today())
    token = generate_csrf()
    html = list_cache().get_or_render(key, lambda: render().replace(token, CSRF_SLOT))
    return html.replace(CSRF_SLOT, token)


@bp.get("/")
def index():
    return list_view("movies/index.html", watched=False, sorts=WATCHLIST_SORTS)


@bp.get("/watched")
def watched():
    return list_view("movies/watched.html", watched=True, sorts=WATCHED_SORTS)


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
        note_form=NoteForm(formdata=None, note=movie.note),
    )
