"""The page of one movie: its viewings (rewatches), rating and private note."""

import re
import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.movies.changes import record_viewing
from flicklist.rules import NOTE_MAX, VIEWINGS_PER_MOVIE_MAX
from flicklist.timeutil import today
from tests.helpers import (
    create_movie,
    csrf_token,
    flash_text,
    flashes,
    get_movie,
    listed_titles,
    post,
)


def viewing_dates(app, movie_id: int) -> list[date | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Viewing.watched_on)
                .where(Viewing.movie_id == movie_id)
                .order_by(Viewing.id)
            )
        )


def viewing_ids(app, movie_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Viewing.id)
                .where(Viewing.movie_id == movie_id)
                .order_by(Viewing.id)
            )
        )


def add_undated_viewing(app, movie_id: int) -> None:
    """An undated viewing, as an import without dates makes."""
    with app.app_context():
        record_viewing(db.session.get(Movie, movie_id), None)
        db.session.commit()


def watch(client, movie_id: int, when: str = "", **kwargs):
    return post(client, f"/movies/{movie_id}/watched", {"date": when}, **kwargs)


def note_html(response) -> str | None:
    match = re.search(
        r'<div class="note">(.*?)</div>', response.get_data(as_text=True), re.S
    )
    return match.group(1) if match else None


@pytest.fixture
def alien_id(app, user_id) -> int:
    return create_movie(app, user_id, "Alien", 1979)


def test_page_shows_everything_about_the_movie(app, logged_in, alien_id):
    watch(logged_in, alien_id, "2020-05-01")
    watch(logged_in, alien_id, "2023-02-03")
    add_undated_viewing(app, alien_id)
    post(logged_in, f"/movies/{alien_id}/rating", {"rating": "4.5"})
    post(logged_in, f"/movies/{alien_id}/note", {"note": "Still scary."})
    response = logged_in.get(f"/movies/{alien_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Alien" in html and "(1979)" in html
    assert f"Added {today().isoformat()}" in html
    assert "watched 3 times" in html and "rated 4.5/5" in html
    assert html.index("2023-02-03") < html.index("2020-05-01") < html.index("unknown")
    assert note_html(response) == "Still scary."
    for action in ("watched", "rating", "note", "unwatched", "delete"):
        assert f'action="/movies/{alien_id}/{action}"' in html
    assert html.count(f'action="/movies/{alien_id}/viewings/') == 3


def test_lists_link_titles_to_the_movie_page(app, logged_in, user_id, alien_id):
    seen = create_movie(app, user_id, "Heat", 1995)
    watch(logged_in, seen)
    for path, movie_id in (("/", alien_id), ("/watched", seen)):
        html = logged_in.get(path).get_data(as_text=True)
        assert f'class="movie-title" href="/movies/{movie_id}"' in html


def test_viewings_with_and_without_a_date(app, logged_in, alien_id):
    response = watch(logged_in, alien_id, "2021-03-04", follow_redirects=True)
    assert "Crossed Alien off" in flash_text(response)
    response = watch(logged_in, alien_id, follow_redirects=True)
    assert "another viewing" in flash_text(response)
    assert viewing_dates(app, alien_id) == [date(2021, 3, 4), today()]
    movie = get_movie(app, alien_id)
    assert movie.watched and movie.viewing_count == 2
    assert movie.last_watched_on == today()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((date.today() + timedelta(days=2)).isoformat(), "future"),
        ("1869-12-31", "1870"),
        ("2021-13-01", "YYYY-MM-DD"),
    ],
)
def test_bad_viewing_dates_are_refused_on_the_movie_page(
    app, logged_in, alien_id, value, expected
):
    watch(logged_in, alien_id, "2020-01-01")
    response = post(
        logged_in,
        f"/movies/{alien_id}/watched",
        {"date": value, "next": f"/movies/{alien_id}"},
        follow_redirects=True,
    )
    assert response.request.path == f"/movies/{alien_id}"
    assert expected in flash_text(response)
    assert viewing_dates(app, alien_id) == [date(2020, 1, 1)]


def test_earliest_and_latest_dates_are_accepted(app, logged_in, alien_id):
    watch(logged_in, alien_id, "1870-01-01")
    watch(logged_in, alien_id, today().isoformat())
    assert viewing_dates(app, alien_id) == [date(1870, 1, 1), today()]


def test_removing_viewings_recomputes_and_the_last_puts_it_back(
    app, logged_in, alien_id
):
    watch(logged_in, alien_id, "2020-05-01")
    watch(logged_in, alien_id, "2023-02-03")
    post(logged_in, f"/movies/{alien_id}/rating", {"rating": "4"})
    first, latest = viewing_ids(app, alien_id)

    response = post(logged_in, f"/movies/{alien_id}/viewings/{latest}/delete")
    assert response.headers["Location"] == f"/movies/{alien_id}"
    movie = get_movie(app, alien_id)
    assert movie.watched and movie.viewing_count == 1
    assert movie.last_watched_on == date(2020, 5, 1)

    response = post(
        logged_in, f"/movies/{alien_id}/viewings/{first}/delete", follow_redirects=True
    )
    assert "back on your watchlist" in flash_text(response)
    movie = get_movie(app, alien_id)
    assert not movie.watched and movie.viewing_count == 0
    assert movie.last_watched_on is None and movie.rating_halves == 8
    assert listed_titles(logged_in.get("/")) == ["Alien"]
    assert post(
        logged_in, f"/movies/{alien_id}/viewings/{first}/delete"
    ).status_code == (404)


def test_a_movie_keeps_at_most_the_viewings_an_import_keeps(app, logged_in, user_id):
    full = create_movie(
        app, user_id, "Groundhog Day", 1993, viewings=[None] * VIEWINGS_PER_MOVIE_MAX
    )
    page = watch(logged_in, full, "2020-05-01", follow_redirects=True)
    assert "the most a movie keeps" in flash_text(page)
    movie = get_movie(app, full)
    assert movie.viewing_count == VIEWINGS_PER_MOVIE_MAX
    assert len(viewing_dates(app, full)) == VIEWINGS_PER_MOVIE_MAX


def test_put_back_forgets_every_viewing(app, logged_in, alien_id):
    for when in ("2020-05-01", "2021-05-01", ""):
        watch(logged_in, alien_id, when)
    post(logged_in, f"/movies/{alien_id}/unwatched")
    assert viewing_dates(app, alien_id) == []
    movie = get_movie(app, alien_id)
    assert (movie.watched, movie.viewing_count, movie.last_watched_on) == (
        False,
        0,
        None,
    )


def test_watched_list_sorts_by_latest_viewing_and_counts(app, logged_in, user_id):
    old = create_movie(app, user_id, "Old favourite")
    recent = create_movie(app, user_id, "Recent one")
    create_movie(app, user_id, "Undated", viewings=[None])
    watch(logged_in, old, "2019-01-01")
    watch(logged_in, recent, "2023-06-01")
    assert listed_titles(logged_in.get("/watched")) == [
        "Recent one",
        "Old favourite",
        "Undated",
    ]
    watch(logged_in, old, "2024-01-01")
    response = logged_in.get("/watched")
    assert listed_titles(response) == ["Old favourite", "Recent one", "Undated"]
    assert "seen 2 times" in response.get_data(as_text=True)


def test_note_is_escaped_and_keeps_line_breaks(app, logged_in, alien_id):
    text = '<script>alert("x")</script>\r\nSecond line & more\r\n\r\nLast'
    response = post(
        logged_in, f"/movies/{alien_id}/note", {"note": text}, follow_redirects=True
    )
    assert "Note saved" in flash_text(response)
    assert get_movie(app, alien_id).note == text.replace("\r\n", "\n")
    assert note_html(response) == (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\n"
        "Second line &amp; more\n\nLast"
    )
    assert "<script>alert" not in response.get_data(as_text=True)


def test_note_is_never_on_the_lists(app, logged_in, user_id, alien_id):
    seen = create_movie(app, user_id, "Heat", 1995)
    watch(logged_in, seen)
    for movie_id in (alien_id, seen):
        post(logged_in, f"/movies/{movie_id}/note", {"note": "my private review"})
    for path in ("/", "/watched"):
        assert "my private review" not in logged_in.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    "note",
    ["x" * NOTE_MAX, "line\r\n" * 300 + "x" * (NOTE_MAX - 1500)],
)
def test_note_of_2000_characters_is_kept(app, logged_in, alien_id, note):
    """A browser sends each line break as two characters; it counts as one."""
    response = post(
        logged_in, f"/movies/{alien_id}/note", {"note": note}, follow_redirects=True
    )
    assert flashes(response) == [("success", "Note saved.")]
    assert len(get_movie(app, alien_id).note) == NOTE_MAX


@pytest.mark.parametrize("note", ["x" * (NOTE_MAX + 1), "bad\x00byte", "bell\x07"])
def test_bad_notes_are_refused_and_the_old_one_kept(app, logged_in, alien_id, note):
    post(logged_in, f"/movies/{alien_id}/note", {"note": "kept"})
    response = post(
        logged_in, f"/movies/{alien_id}/note", {"note": note}, follow_redirects=True
    )
    assert response.request.path == f"/movies/{alien_id}"
    assert flashes(response)[0][0] == "error"
    assert get_movie(app, alien_id).note == "kept"


def test_empty_note_clears_it(app, logged_in, alien_id):
    post(logged_in, f"/movies/{alien_id}/note", {"note": "something"})
    response = post(
        logged_in,
        f"/movies/{alien_id}/note",
        {"note": "  \r\n "},
        follow_redirects=True,
    )
    assert "Note cleared" in flash_text(response)
    assert get_movie(app, alien_id).note == ""
    assert note_html(response) is None


def test_a_rewatch_racing_another_keeps_the_count_true(app, logged_in, alien_id):
    """Two rewatches at once (a double click) must not lose one from the count."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises every POST with BEGIN IMMEDIATE")
    token = csrf_token(logged_in)
    results: list[int] = []
    with app.app_context(), db.engine.connect() as other:
        # Another request's transaction holds the movie while it adds a viewing.
        other.execute(sa.select(Movie.id).where(Movie.id == alien_id).with_for_update())
        other.execute(sa.insert(Viewing).values(movie_id=alien_id))
        other.execute(
            sa.update(Movie)
            .where(Movie.id == alien_id)
            .values(watched=True, viewing_count=Movie.viewing_count + 1)
        )
        racer = threading.Thread(
            target=lambda: results.append(
                logged_in.post(
                    f"/movies/{alien_id}/watched", data={"csrf_token": token}
                ).status_code
            )
        )
        racer.start()
        time.sleep(0.5)  # the racer now waits for the row (or read it too early)
        other.commit()
        racer.join(timeout=30)
    assert results == [303]
    assert (
        get_movie(app, alien_id).viewing_count == len(viewing_ids(app, alien_id)) == 2
    )
