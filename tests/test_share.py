"""The read-only share link: made, replaced and revoked by its owner, read by anyone."""

import hashlib
import re
from datetime import date

import pytest
import sqlalchemy as sa

from flicklist.account.sharing import create_share_link as replace_share_link
from flicklist.extensions import db
from flicklist.models import ShareLink, User
from tests.helpers import create_movie, create_user, flash_text, make_app, post

NOTE = "Private thoughts: the ending <b>wrecked</b> me"
SHARE_URL = re.compile(r'id="share-url"[^>]* value="([^"]+)"')


def share_titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<span class="movie-title">(.*?)</span>', html, re.S)


def create_link(client, include_watchlist: bool = False) -> str:
    """Make a link through the account form; the path it shows once."""
    data = {"include_watchlist": "y"} if include_watchlist else {}
    response = post(client, "/account/share", data)
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/account"
    page = client.get("/account")
    assert "copy it now" in flash_text(page).lower()
    match = SHARE_URL.search(page.get_data(as_text=True))
    assert match, "the new link is not shown"
    url = match.group(1)
    assert url.startswith("http://localhost/share/")
    return url.removeprefix("http://localhost")


@pytest.fixture
def owner_movies(app, logged_in, user_id) -> dict[str, int]:
    """Ann's list: Alien watched twice, dated, rated and noted; Heat still to watch."""
    alien = create_movie(app, user_id, "Alien", 1979)
    heat = create_movie(app, user_id, "Heat", 1995)
    post(logged_in, f"/movies/{alien}/watched", {"date": "2020-05-01"})
    post(logged_in, f"/movies/{alien}/watched", {"date": "2023-02-03"})
    post(logged_in, f"/movies/{alien}/rating", {"rating": "4.5"})
    post(logged_in, f"/movies/{alien}/note", {"note": NOTE})
    return {"alien": alien, "heat": heat}


def test_anonymous_visitor_sees_watched_movies_and_nothing_private(
    app, logged_in, owner_movies
):
    path = create_link(logged_in)
    anonymous = app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert share_titles(response) == ["Alien"]
    assert "2023-02-03" in html and "4.5" in html and "seen 2 times" in html
    assert "Heat" not in html
    assert "ann@example.com" not in html
    assert "Private thoughts" not in html and "wrecked" not in html
    assert "<form" not in html and "csrf_token" not in html
    assert "/movies/" not in html
    assert 'href="/login"' in html and 'href="/register"' in html
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_logged_in_visitor_gets_no_forms_or_email_either(app, logged_in, owner_movies):
    path = create_link(logged_in)
    html = logged_in.get(path).get_data(as_text=True)
    assert "Alien" in html
    assert "<form" not in html and "Log out" not in html
    assert "ann@example.com" not in html


def test_watchlist_only_when_the_owner_includes_it(app, logged_in, owner_movies):
    path = create_link(logged_in, include_watchlist=True)
    response = app.test_client().get(path)
    assert share_titles(response) == ["Alien", "Heat"]
    assert "To watch" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(ShareLink.include_watchlist)) is True

    path = create_link(logged_in, include_watchlist=False)
    response = app.test_client().get(path)
    assert share_titles(response) == ["Alien"]
    assert "To watch" not in response.get_data(as_text=True)


def test_titles_are_shown_escaped(app, logged_in, user_id):
    title = '<script>alert("x")</script>'
    movie_id = create_movie(app, user_id, title)
    post(logged_in, f"/movies/{movie_id}/watched", {})
    html = app.test_client().get(create_link(logged_in)).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_the_link_is_shown_once_and_stored_only_as_a_digest(app, logged_in, user_id):
    path = create_link(logged_in)
    token = path.removeprefix("/share/")
    assert len(token) >= 43  # 32 random bytes: 256 bits
    again = logged_in.get("/account").get_data(as_text=True)
    assert token not in again and 'id="share-url"' not in again
    assert "create a new one" in again
    with app.app_context():
        row = db.session.execute(sa.select(ShareLink)).scalar_one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        values = db.session.execute(sa.select(ShareLink.__table__)).one()
        assert all(token not in str(value) for value in values)


def test_a_new_link_replaces_the_old_one(app, logged_in, owner_movies):
    first = create_link(logged_in)
    second = create_link(logged_in)
    assert first != second
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ShareLink.user_id))) == 1


def test_revoked_link_answers_404(app, logged_in, owner_movies):
    path = create_link(logged_in)
    response = post(logged_in, "/account/share/delete", follow_redirects=True)
    assert "revoked" in flash_text(response)
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert response.headers["X-Robots-Tag"] == "noindex"
    with app.app_context():
        assert db.session.scalar(sa.select(ShareLink)) is None

    response = post(logged_in, "/account/share/delete", follow_redirects=True)
    assert "no share link" in flash_text(response)


def test_deleting_the_account_kills_the_link(app, logged_in, owner_movies):
    path = create_link(logged_in)
    post(logged_in, "/account/delete", {"password": "correct horse battery"})
    assert app.test_client().get(path).status_code == 404


@pytest.mark.parametrize(
    "token", ["nope", "a" * 43, "a" * 500, "%00", "..%2F..%2Faccount"]
)
def test_unknown_tokens_are_404_not_the_login_page(client, token):
    response = client.get(f"/share/{token}")
    assert response.status_code == 404


def test_anonymous_cannot_create_or_revoke(app, client, user_id):
    for path in ("/account/share", "/account/share/delete"):
        response = post(client, path, {"include_watchlist": "y"})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.scalar(sa.select(ShareLink)) is None


def test_creating_a_link_needs_the_csrf_token(app, logged_in):
    response = logged_in.post("/account/share", data={"include_watchlist": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(ShareLink)) is None


def test_shared_lists_are_paged_fifty_at_a_time(app, logged_in, user_id):
    for number in range(51):
        create_movie(
            app,
            user_id,
            f"Seen {number:02}",
            viewings=[date(2020, 1, 1 + number % 28)],
        )
    for number in range(3):
        create_movie(app, user_id, f"Wanted {number}")
    path = create_link(logged_in, include_watchlist=True)
    anonymous = app.test_client()
    first = anonymous.get(path)
    titles = share_titles(first)
    assert len([t for t in titles if t.startswith("Seen")]) == 50
    assert len([t for t in titles if t.startswith("Wanted")]) == 3
    assert f'href="{path}?page=2"' in first.get_data(as_text=True)
    second = anonymous.get(f"{path}?page=2")
    assert len(share_titles(second)) == 1
    assert 'rel="next"' not in second.get_data(as_text=True)
    assert anonymous.get(f"{path}?page=junk").status_code == 200


def test_other_users_movies_never_appear(app, logged_in, owner_movies, password_hash):
    bob = create_user(app, "bob@example.com", password_hash)
    create_movie(app, bob, "Bob's film", viewings=[None])
    html = app.test_client().get(create_link(logged_in)).get_data(as_text=True)
    assert "Bob" not in html


def test_share_page_is_rate_limited_per_client_address(database_url, tmp_path):
    app = make_app(
        database_url,
        instance_path=tmp_path / "instance",
        RATELIMIT_ENABLED=True,
        SHARE_RATE_LIMIT="3/minute",
    )
    with app.app_context():
        user = User(email="ann@example.com", password_hash="x")
        db.session.add(user)
        db.session.flush()
        token = replace_share_link(user.id, include_watchlist=False)
        db.session.commit()
    guesser = app.test_client()
    assert guesser.get(f"/share/{token}").status_code == 200
    assert guesser.get("/share/guess-one").status_code == 404
    assert guesser.get("/share/guess-two").status_code == 404
    limited = guesser.get(f"/share/{token}")
    assert limited.status_code == 429
    assert limited.headers["X-Robots-Tag"] == "noindex"
    other = app.test_client()
    response = other.get(f"/share/{token}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 200
    with app.app_context():
        db.engine.dispose()
