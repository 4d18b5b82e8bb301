"""The watchlist: add, cross off, put back, rate, delete; each user sees their own."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.timeutil import today
from tests.helpers import (
    create_movie,
    flash_text,
    flashes,
    get_movie,
    listed_titles,
    post,
)


def movies(app) -> list[Movie]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Movie).order_by(Movie.id)))


def test_add_movie_with_and_without_year(app, logged_in):
    response = post(logged_in, "/movies", {"title": "  Alien  ", "year": "1979"})
    assert response.status_code in (302, 303)
    page = logged_in.get("/")
    assert "Added Alien to your watchlist." in flash_text(page)
    post(logged_in, "/movies", {"title": "Heat", "year": ""})
    stored = movies(app)
    assert [(m.title, m.year, m.watched) for m in stored] == [
        ("Alien", 1979, False),
        ("Heat", None, False),
    ]
    assert listed_titles(logged_in.get("/")) == ["Heat", "Alien"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"title": "", "year": "1999"}, "title"),
        ({"title": "   ", "year": ""}, "title"),
        ({"title": "x" * 201}, "200"),
        ({"title": "Alien", "year": "1869"}, "1870"),
        ({"title": "Alien", "year": str(date.today().year + 2)}, "1870"),
        ({"title": "Alien", "year": "abc"}, "whole number"),
        ({"title": "Alien", "year": "1979.5"}, "whole number"),
        ({"title": "Alien", "year": "+1979"}, "whole number"),
        ({"title": "Alien", "year": "1_979"}, "whole number"),
        ({"title": "Alien", "year": "١٩٧٩"}, "whole number"),
        ({"title": "Al\x00ien"}, "not allowed"),
    ],
)
def test_add_movie_refusals(app, logged_in, data, expected):
    response = post(logged_in, "/movies", data, follow_redirects=True)
    assert response.status_code == 200
    assert any(c == "error" and expected in t.lower() for c, t in flashes(response)), (
        flashes(response)
    )
    assert movies(app) == []


def test_title_of_200_characters_and_next_year_are_accepted(app, logged_in):
    post(logged_in, "/movies", {"title": "y" * 200, "year": str(today().year + 1)})
    assert len(movies(app)) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Alien", "1979"), ("alien", "1979")),
        (("Alien", "1979"), ("  ALIEN ", "1979")),
        (("Alien", ""), ("alien", "")),
    ],
)
def test_duplicate_titles_are_refused(app, logged_in, first, second):
    post(logged_in, "/movies", {"title": first[0], "year": first[1]})
    response = post(
        logged_in,
        "/movies",
        {"title": second[0], "year": second[1]},
        follow_redirects=True,
    )
    assert "already" in flash_text(response)
    assert len(movies(app)) == 1


def test_same_title_with_another_year_is_another_movie(app, logged_in):
    post(logged_in, "/movies", {"title": "Dune", "year": "1984"})
    post(logged_in, "/movies", {"title": "Dune", "year": "2021"})
    post(logged_in, "/movies", {"title": "Dune", "year": ""})
    assert len(movies(app)) == 3


def test_database_refuses_duplicates_even_without_the_form(app, user_id):
    create_movie(app, user_id, "Alien", None)
    with pytest.raises(sa.exc.IntegrityError):
        create_movie(app, user_id, "alien", None)


def test_html_in_a_title_is_shown_escaped(app, logged_in):
    title = '<script>alert("x")</script> & <b>bold</b>'
    post(logged_in, "/movies", {"title": title})
    html = logged_in.get("/").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        in html
    )
    assert movies(app)[0].title == title


def test_cross_off_dated_today_then_put_back_keeps_rating(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    response = post(logged_in, f"/movies/{movie_id}/watched", {})
    assert response.status_code in (302, 303)
    movie = get_movie(app, movie_id)
    assert movie.watched and movie.last_watched_on == today()
    assert listed_titles(logged_in.get("/")) == []
    watched = logged_in.get("/watched")
    assert listed_titles(watched) == ["Alien"]
    assert today().isoformat() in watched.get_data(as_text=True)

    post(logged_in, f"/movies/{movie_id}/rating", {"rating": "3.5"})
    assert get_movie(app, movie_id).rating_halves == 7
    assert "3.5" in logged_in.get("/watched").get_data(as_text=True)

    post(logged_in, f"/movies/{movie_id}/unwatched", {})
    movie = get_movie(app, movie_id)
    assert not movie.watched and movie.last_watched_on is None
    assert movie.rating_halves == 7
    assert listed_titles(logged_in.get("/")) == ["Alien"]


def test_watched_with_a_date_and_rewatches(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    post(logged_in, f"/movies/{movie_id}/watched", {"date": "2020-05-01"})
    post(logged_in, f"/movies/{movie_id}/watched", {"date": "2023-01-02"})
    post(logged_in, f"/movies/{movie_id}/watched", {"date": "2021-03-04"})
    movie = get_movie(app, movie_id)
    assert movie.viewing_count == 3 and movie.last_watched_on == date(2023, 1, 2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((date.today() + timedelta(days=2)).isoformat(), "future"),
        ("1869-12-31", "1870"),
        ("yesterday", "YYYY-MM-DD"),
        ("2020-02-30", "YYYY-MM-DD"),
        ("2020-1-5", "YYYY-MM-DD"),
        ("20200105", "YYYY-MM-DD"),
    ],
)
def test_watched_date_refusals(app, logged_in, user_id, value, expected):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    response = post(
        logged_in, f"/movies/{movie_id}/watched", {"date": value}, follow_redirects=True
    )
    assert expected in flash_text(response)
    assert not get_movie(app, movie_id).watched
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Viewing.id))) == 0


@pytest.mark.parametrize("rating", ["0.5", "1", "1.5", "3", "4.0", "5", "5.0", " 2.5 "])
def test_valid_ratings(app, logged_in, user_id, rating):
    movie_id = create_movie(app, user_id, "Alien", 1979, viewings=[None])
    post(logged_in, f"/movies/{movie_id}/rating", {"rating": rating})
    assert get_movie(app, movie_id).rating_halves == int(float(rating) * 2)


@pytest.mark.parametrize(
    "rating",
    [
        "0",
        "-1",
        "5.5",
        "6",
        "0.25",
        "3.3",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e1",
        "1e0",
        "+4",
        "٤",
        "4.",
        ".5",
        "",
        "abc",
        "½",
    ],
)
def test_invalid_ratings_are_refused(app, logged_in, user_id, rating):
    movie_id = create_movie(app, user_id, "Alien", 1979, viewings=[None])
    response = post(
        logged_in,
        f"/movies/{movie_id}/rating",
        {"rating": rating},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert any(c == "error" for c, _ in flashes(response))
    assert get_movie(app, movie_id).rating_halves is None


def test_rating_an_unwatched_movie_is_refused(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    response = post(
        logged_in, f"/movies/{movie_id}/rating", {"rating": "4"}, follow_redirects=True
    )
    assert "watched" in flash_text(response)
    assert get_movie(app, movie_id).rating_halves is None


def test_delete_movie(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    response = post(logged_in, f"/movies/{movie_id}/delete", {}, follow_redirects=True)
    assert "Deleted Alien." in flash_text(response)
    assert movies(app) == []


def test_action_returns_to_a_safe_next_only(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    response = post(
        logged_in, f"/movies/{movie_id}/watched", {"next": "/watched?page=1"}
    )
    assert response.headers["Location"] == "/watched?page=1"
    other = create_movie(app, user_id, "Heat", 1995)
    response = post(logged_in, f"/movies/{other}/watched", {"next": "//evil.example"})
    assert response.headers["Location"] == "/"
