"""NUL bytes and over-long fields: refused by the forms, alike on SQLite and PostgreSQL.

SQLite would store a NUL or a string longer than its column; PostgreSQL refuses
both with an error. The forms decide first, so both databases behave the same.
"""

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, User
from flicklist.rules import NOTE_MAX
from tests.helpers import (
    PASSWORD,
    create_movie,
    flash_text,
    flashes,
    get_movie,
    post,
)

# Lower-casing turns "İ" into two characters; email_validator counts 254 UTF-8 bytes,
# so the longest such address still fits the 254-character column once lowered.
GROWING_EMAIL = "İ" * 64 + "@" + "a" * 60 + "." + "b" * 60 + ".com"


def movie_titles(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Movie.title).order_by(Movie.id)))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Alien\x00", "not allowed"),
        ("\x00", "not allowed"),
        ("Ali\x1ben", "not allowed"),
        ("x" * 201, "at most 200"),
        ("ﬃ" * 201, "at most 200"),
    ],
)
def test_bad_titles_are_refused(app, logged_in, title, expected):
    response = post(logged_in, "/movies", {"title": title}, follow_redirects=True)
    assert response.status_code == 200
    assert expected in flash_text(response)
    assert movie_titles(app) == []


def test_titles_that_grow_when_case_folded_fit_and_stay_unique(app, logged_in):
    longest = "ﬃ" * 200  # casefold() makes each of these three characters
    title = "ﬃ" * 199 + "a"  # 598 characters once case-folded
    for added in (longest, title):
        response = post(logged_in, "/movies", {"title": added}, follow_redirects=True)
        assert response.status_code == 200
        assert "Added" in flash_text(response)
    assert movie_titles(app) == [longest, title]
    again = post(
        logged_in, "/movies", {"title": title[:-1] + "A"}, follow_redirects=True
    )
    assert "already" in flash_text(again)
    assert movie_titles(app) == [longest, title]


def test_notes_refuse_nul_and_excess_but_keep_line_breaks(app, logged_in, user_id):
    movie_id = create_movie(app, user_id, "Alien", 1979)
    path = f"/movies/{movie_id}/note"
    too_long = "n" * (NOTE_MAX + 1)
    for note, expected in [("bad\x00note", "not allowed"), (too_long, "at most")]:
        response = post(logged_in, path, {"note": note}, follow_redirects=True)
        assert expected in flash_text(response)
    note = "line one\r\nline two\tend" + "n" * (NOTE_MAX - 25)
    response = post(logged_in, path, {"note": note}, follow_redirects=True)
    assert "Note saved." in flash_text(response)
    # Browsers send CRLF; it is kept as one line break.
    assert get_movie(app, movie_id).note == note.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ann\x00@example.com", "valid email"),
        ("ann@exa\x00mple.com", "valid email"),
        ("a" * 64 + "@" + ("b" * 60 + ".") * 3 + "c" * 10 + ".com", "too long"),
        (GROWING_EMAIL + "x", "valid email"),
    ],
)
def test_bad_emails_are_refused_at_registration(app, auth, email, expected):
    response = auth.register(email)
    assert response.status_code == 200
    assert expected in flash_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_the_longest_address_fits_once_lowered(app, auth):
    assert len(GROWING_EMAIL.lower()) == 254
    assert auth.register(GROWING_EMAIL).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(User.email)) == GROWING_EMAIL.lower()


@pytest.mark.parametrize(
    "email", ["ann\x00@example.com", "a" * 300 + "@example.com", GROWING_EMAIL]
)
def test_bad_emails_at_login_get_the_usual_answer(client, auth, user_id, email):
    response = auth.login(email=email, password=PASSWORD)
    assert response.status_code == 200
    assert ("error", "Invalid email or password.") in flashes(response)


@pytest.mark.parametrize(
    "movie_id",
    ["0", "99999", "2147483648", "9" * 20, "9" * 40, "-1", "abc"],
)
def test_unknown_or_huge_ids_are_404(logged_in, movie_id):
    path = f"/movies/{movie_id}"
    assert logged_in.get(path).status_code == 404
    assert post(logged_in, path + "/delete").status_code == 404
