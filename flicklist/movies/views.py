"""The lists, adding a movie, the page of one movie and the actions on it.

CSRFProtect checks the token of every POST before these views run, so the
actions with no fields of their own need no form class.
"""

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

from flicklist.extensions import db, without_rate_limits
from flicklist.form_helpers import flash_errors
from flicklist.models import Movie
from flicklist.movies.changes import (
    add_movie,
    add_viewing,
    forget_viewings,
    own_movie_query,
    rate_movie,
    remove_viewing,
)
from flicklist.movies.forms import (
    MovieForm,
    NoteForm,
    RatingForm,
    WatchedForm,
)
from flicklist.movies.list_cache import cached_list_page, list_key
from flicklist.movies.queries import (
    SORT_LABELS,
    WATCHED_SORTS,
    WATCHLIST_SORTS,
    list_page,
    page_number,
)
from flicklist.rules import (
    CONTROL_CHARACTERS,
    TITLE_MAX,
    VIEWINGS_PER_MOVIE_MAX,
    last_allowed_year,
)
from flicklist.security import redirect_back
from flicklist.timeutil import today

bp = without_rate_limits(Blueprint("movies", __name__))

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


def list_view(template: str, *, watched: bool, sorts: tuple[str, ...]):
    """A list page, rendered once per list version and kept (see list_cache).

    Everything the page holds comes from the key: its own links and return
    addresses are written from q, sort and page as list_arguments read them, never
    from the request's query string (which may carry more, or say the same thing
    another way).
    """
    q, sort, number = list_arguments(sorts)
    user = current_user._get_current_object()
    endpoint = request.endpoint

    def list_url(page_number: int) -> str:
        """This list's URL at another page: the default sort and page 1 left out."""
        return url_for(
            endpoint,
            sort=None if sort == sorts[0] else sort,
            q=q or None,
            page=page_number if page_number > 1 else None,
        )

    def render() -> str:
        page = list_page(
            user.id,
            watched=watched,
            q=q,
            sort=sort,
            number=number,
            per_page=current_app.config["MOVIES_PER_PAGE"],
        )
        return render_template(
            template,
            page=page,
            q=q,
            sort=sort,
            sorts=sorts,
            sort_labels=SORT_LABELS,
            page_link=list_url,
            # The page's forms come back here: this page, without other parameters.
            return_to=list_url(number),
            max_year=last_allowed_year(),
        )

    return cached_list_page(list_key(user, template, q, sort, number), render)


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
    title = form.title.data
    if not add_movie(current_user.id, title, form.year.data):
        db.session.rollback()
        flash(ALREADY_ON_LIST.format(title=title), "error")
        return redirect(url_for("movies.index"), code=303)
    db.session.commit()
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


def back_to_list():
    return redirect_back(url_for("movies.index"))


def back_to_detail(movie: Movie):
    return redirect_back(url_for("movies.detail", movie_id=movie.id))


@bp.post("/movies/<id:movie_id>/watched")
def mark_watched(movie_id: int):
    form = WatchedForm()
    if not form.validate_on_submit():
        own_movie_or_404(movie_id)
        flash_errors(form)
        return back_to_list()
    viewed = add_viewing(current_user.id, movie_id, form.date.data or today())
    if viewed is None:
        title = own_movie_or_404(movie_id).title
        flash(
            f"{title} already has {VIEWINGS_PER_MOVIE_MAX:,} viewings, "
            "the most a movie keeps.",
            "error",
        )
        return back_to_list()
    db.session.commit()
    if viewed.viewing_count == 1:
        flash(f"Crossed {viewed.title} off your watchlist.", "success")
    else:
        flash(f"Recorded another viewing of {viewed.title}.", "success")
    return back_to_list()


@bp.post("/movies/<id:movie_id>/unwatched")
def mark_unwatched(movie_id: int):
    movie = own_movie_or_404(movie_id)
    forget_viewings(movie)
    db.session.commit()
    flash(f"Put {movie.title} back on your watchlist.", "success")
    return back_to_list()


@bp.post("/movies/<id:movie_id>/rating")
def rate(movie_id: int):
    form = RatingForm()
    if not form.validate_on_submit():
        own_movie_or_404(movie_id)
        flash_errors(form)
        return back_to_list()
    title = rate_movie(current_user.id, movie_id, form.rating.data)
    if title is None:
        title = own_movie_or_404(movie_id).title
        flash(f"Mark {title} as watched before rating it.", "error")
        return back_to_list()
    db.session.commit()
    rating = form.rating.data / 2
    flash(f"Rated {title} {rating:g} out of 5.", "success")
    return back_to_list()


@bp.post("/movies/<id:movie_id>/note")
def save_note(movie_id: int):
    movie = own_movie_or_404(movie_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return back_to_detail(movie)
    movie.note = (form.note.data or "").strip()
    db.session.commit()
    flash("Note saved." if movie.note else "Note cleared.", "success")
    return back_to_detail(movie)


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
    return back_to_detail(movie)


@bp.post("/movies/<id:movie_id>/delete")
def delete(movie_id: int):
    movie = own_movie_or_404(movie_id)
    title = movie.title
    db.session.delete(movie)
    db.session.commit()
    flash(f"Deleted {title}.", "success")
    return back_to_list()
