"""Arbitrary text and bytes in every form field: never a 5xx, nobody else's data moves.

Hypothesis draws each field as text (NUL and other control characters included),
raw bytes (often not UTF-8), long strings of characters that grow when case-folded,
or leaves it out. What is stored must be storable the same way on SQLite and
PostgreSQL, so nothing holding a NUL byte may ever be kept.
"""

import io

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flicklist.extensions import db
from flicklist.models import Movie, User
from tests.helpers import AuthActions, create_user, csrf_token, post, seed, snapshot

FUZZ_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MISSING = object()

values = st.one_of(
    st.text(),
    st.binary(),
    st.text(alphabet="\x00\t\n\r\x7fﬃİßΣ\u202e\ufeffa <>&\"'%/\\", max_size=40),
    st.text(alphabet="ﬃİ", min_size=160, max_size=200),
    st.text(alphabet="aﬃ\n", min_size=1990, max_size=2010),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", " ", "nan", "inf", "-0", "1e309", "2025-02-30", "0.5"]),
    st.just(MISSING),
)

# (path, fields, logged in?): every form of the site, field names as in the contract.
FORMS = [
    ("/register", ["email", "password", "verify"], False),
    ("/login", ["email", "password", "remember", "next"], False),
    ("/movies", ["title", "year"], True),
    ("/movies/{movie_id}/watched", ["date", "next"], True),
    ("/movies/{movie_id}/rating", ["rating", "next"], True),
    ("/movies/{movie_id}/note", ["note", "next"], True),
    ("/movies/{movie_id}/unwatched", ["next"], True),
    ("/movies/{movie_id}/viewings/{viewing_id}/delete", ["next"], True),
    ("/account/password", ["current_password", "new_password", "verify"], True),
    ("/account/delete", ["password"], True),
    ("/account/sessions/others/delete", ["confirm_password"], True),
    ("/account/share", ["include_watchlist"], True),
    ("/account/share/delete", [], True),
    ("/import", ["file"], True),
]
# A file field gets its drawn value as the content of an upload with a CSV name.
FILE_NAMES = ("watchlist.csv", "watched.csv", "ratings.csv", "export.csv", "x.txt")


HEADERS = (
    "Title,Year,Watched,WatchedDate,Rating,Added",
    "Date,Name,Year,Letterboxd URI",
    "Date,Name,Year,Letterboxd URI,Rating",
    "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date,Review",
    "Const,Your Rating,Date Rated,Title,URL,Title Type,Year",
    "Position,Const,Created,Title,Title Type,Year,Your Rating,Date Rated",
)
plausible = st.sampled_from(
    ["", "1999", "2020-01-01", "4.5", "8", "movie", "Alien", "Yes", "tt0078748"]
)
cells = st.one_of(plausible, plausible, st.text(min_size=1, max_size=12))
# CSV files of a kind the importer knows, with rows of anything.
csv_files = st.builds(
    lambda header, rows: "\n".join([header, *(",".join(row) for row in rows)]),
    st.sampled_from(HEADERS),
    st.lists(st.lists(cells, min_size=1, max_size=10), max_size=6),
)


def as_upload(value, name: str):
    content = value if isinstance(value, bytes) else value.encode("utf-8", "replace")
    return (io.BytesIO(content), name)


def form_data(fields: list[str]) -> st.SearchStrategy[dict]:
    drawn = {
        field: st.tuples(st.one_of(values, csv_files), st.sampled_from(FILE_NAMES)).map(
            lambda pair: pair[0] if pair[0] is MISSING else as_upload(*pair)
        )
        if field == "file"
        else values
        for field in fields
    }
    return st.fixed_dictionaries(drawn).map(
        lambda data: {k: v for k, v in data.items() if v is not MISSING}
    )


def stored_text(app) -> list[str]:
    with app.app_context():
        titles = db.session.scalars(sa.select(Movie.title)).all()
        notes = db.session.scalars(sa.select(Movie.note)).all()
        emails = db.session.scalars(sa.select(User.email)).all()
        return [*titles, *notes, *emails]


@pytest.mark.parametrize(
    ("path", "fields", "logged_in"), FORMS, ids=[form[0] for form in FORMS]
)
def test_arbitrary_form_input_is_refused_cleanly(
    app, password_hash, path, fields, logged_in
):
    ann = create_user(app, "ann@example.com", password_hash)
    bob = create_user(app, "bob@example.com", password_hash)
    ids = seed(app, ann, "Ann's film")
    seed(app, bob, "Bob's film")
    bob_client = app.test_client()
    AuthActions(bob_client).login("bob@example.com")
    assert post(bob_client, "/account/share").status_code in (302, 303)
    bob_before = snapshot(app, bob)
    assert any(row[0] == "ShareLink" for row in bob_before)
    client = app.test_client()
    if logged_in:
        assert AuthActions(client).login().status_code == 303
        token = csrf_token(client)
    target = path.format(**ids)

    @FUZZ_SETTINGS
    @given(data=form_data(fields))
    def post_anything(data: dict) -> None:
        browser = client if logged_in else app.test_client()
        form_token = token if logged_in else csrf_token(browser, "/login")
        response = browser.post(target, data={"csrf_token": form_token, **data})
        assert response.status_code < 500, data
        if logged_in:
            # Whatever was stored can be shown again.
            for page in ("/", "/watched", f"/movies/{ids['movie_id']}", "/account"):
                assert browser.get(page).status_code in (200, 404), page
        assert not any("\x00" in text for text in stored_text(app))

    post_anything()
    assert snapshot(app, bob) == bob_before
