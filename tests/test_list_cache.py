"""The rendered-list cache: never another user's list, never a stale one."""

import io
import re

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.list_version import postgresql_statements, triggers_present
from flicklist.models import Movie, User
from flicklist.movies.list_cache import RenderedPageCache, list_cache
from tests.helpers import (
    AuthActions,
    counting_queries,
    create_movie,
    create_user,
    csrf_token,
    listed_titles,
    make_app,
    post,
)


def list_version(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.list_version).where(User.id == user_id))


def test_every_kind_of_change_to_a_movie_bumps_the_owners_version(app, user_id):
    versions = [list_version(app, user_id)]
    movie_id = create_movie(app, user_id, "Alien", 1979)  # ORM insert
    versions.append(list_version(app, user_id))
    with app.app_context():
        db.session.execute(  # Core bulk insert, as the importer does
            sa.insert(Movie),
            [{"user_id": user_id, "title": t, "note": ""} for t in ("Heat", "Ran")],
        )
        db.session.commit()
    versions.append(list_version(app, user_id))
    with app.app_context():
        db.session.execute(
            sa.update(Movie).where(Movie.id == movie_id).values(rating_halves=4)
        )
        db.session.commit()
    versions.append(list_version(app, user_id))
    with app.app_context():
        db.session.execute(sa.delete(Movie).where(Movie.id == movie_id))
        db.session.commit()
    versions.append(list_version(app, user_id))
    assert versions == sorted(set(versions)), versions


def test_another_users_change_leaves_my_version_alone(app, user_id, password_hash):
    bob = create_user(app, "bob@example.com", password_hash)
    before = list_version(app, user_id)
    create_movie(app, bob, "Alien", 1979)
    assert list_version(app, user_id) == before


@pytest.mark.parametrize("path", ["/", "/watched"])
def test_two_users_never_share_rows(app, client, password_hash, path):
    ann = create_user(app, "ann@example.com", password_hash)
    bob = create_user(app, "bob@example.com", password_hash)
    for owner, title in ((ann, "Ann's film"), (bob, "Bob's film")):
        create_movie(
            app, owner, title, 2000, viewings=[None] if path == "/watched" else []
        )
    ann_client, bob_client = app.test_client(), app.test_client()
    AuthActions(ann_client).login("ann@example.com")
    AuthActions(bob_client).login("bob@example.com")
    for _ in range(2):  # the second round is served from the cache
        assert listed_titles(ann_client.get(path)) == ["Ann&#39;s film"]
        assert listed_titles(bob_client.get(path)) == ["Bob&#39;s film"]


def test_each_change_shows_at_once(app, logged_in, user_id):
    assert listed_titles(logged_in.get("/")) == []
    post(logged_in, "/movies", {"title": "Alien", "year": "1979"})
    assert listed_titles(logged_in.get("/")) == ["Alien"]
    movie_id = db_movie_id(app, "Alien")
    post(logged_in, f"/movies/{movie_id}/watched", {})
    assert listed_titles(logged_in.get("/")) == []
    assert "not rated yet" in logged_in.get("/watched").get_data(as_text=True)
    post(logged_in, f"/movies/{movie_id}/rating", {"rating": "4.5"})
    assert "rated 4.5/5" in logged_in.get("/watched").get_data(as_text=True)
    post(logged_in, f"/movies/{movie_id}/unwatched", {})
    assert listed_titles(logged_in.get("/watched")) == []
    assert listed_titles(logged_in.get("/")) == ["Alien"]
    csv = b"Date,Name,Year,Letterboxd URI\r\n2024-01-01,Heat,1995,https://boxd.it/x\r\n"
    logged_in.post(
        "/import",
        data={
            "csrf_token": csrf_token(logged_in),
            "file": (io.BytesIO(csv), "watchlist.csv"),
        },
    )
    assert sorted(listed_titles(logged_in.get("/"))) == ["Alien", "Heat"]
    post(logged_in, f"/movies/{movie_id}/delete", {})
    assert listed_titles(logged_in.get("/")) == ["Heat"]


def db_movie_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Movie.id).where(Movie.title == title))


def test_cached_pages_carry_each_sessions_own_csrf_token(app, user_id):
    create_movie(app, user_id, "Alien", 1979)
    tokens = set()
    for _ in range(2):
        client = app.test_client()
        AuthActions(client).login()
        html = client.get("/").get_data(as_text=True)
        row_form = html[html.index('class="movie-list-form"') :]
        token = re.search(r'name="csrf_token" value="([^"]+)"', row_form).group(1)
        tokens.add(token)
        assert html.count(token) == html.count('name="csrf_token"')
        # The token in the cached page works for this session's POSTs.
        movie = db_movie_id(app, "Alien")
        response = client.post(f"/movies/{movie}/watched", data={"csrf_token": token})
        assert response.status_code == 303
        client.post(f"/movies/{movie}/unwatched", data={"csrf_token": token})
    assert len(tokens) == 2


def test_the_cache_is_bounded_and_can_be_turned_off():
    cache = RenderedPageCache(max_entries=2)
    renders = []

    def render(n):
        def make():
            renders.append(n)
            return str(n)

        return make

    for key in (1, 2, 1, 3, 2):
        cache.get_or_render(key, render(key))
    assert renders == [1, 2, 3, 2]  # 2 was the least recently used when 3 came
    assert len(cache.entries) == 2
    off = RenderedPageCache(max_entries=0)
    off.get_or_render(1, render(1))
    off.get_or_render(1, render(1))
    assert renders[-2:] == [1, 1] and not off.entries


def test_flash_messages_are_shown_once_and_never_kept(app, logged_in, user_id):
    create_movie(app, user_id, "Alien", 1979)
    logged_in.get("/")  # the page is now in the cache
    post(logged_in, "/movies", {"title": ""})  # refused: a flash on the next page
    first = logged_in.get("/").get_data(as_text=True)
    again = logged_in.get("/").get_data(as_text=True)
    assert 'class="flash flash-error"' in first
    assert 'class="flash flash-error"' not in again
    assert listed_titles(logged_in.get("/")) == ["Alien"]


def test_a_cached_page_costs_only_the_session_query(app, logged_in, user_id):
    create_movie(app, user_id, "Alien", 1979)
    logged_in.get("/")  # shows the login's flash: rendered, not kept
    logged_in.get("/")  # rendered and kept
    with counting_queries(app) as statements:
        assert listed_titles(logged_in.get("/")) == ["Alien"]
    assert len(statements) == 1 and "user_session" in statements[0]


def test_create_all_installs_the_triggers_too(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/created.sqlite")
    with app.app_context():
        db.create_all()
        with db.engine.connect() as connection:
            assert triggers_present(connection)
        db.engine.dispose()


def test_without_the_triggers_the_cache_stays_off(app, logged_in, user_id):
    with app.app_context(), db.engine.begin() as connection:
        postgresql = connection.dialect.name == "postgresql"
        for name in ("insert", "update", "delete"):
            trigger = f"movie_{name}_bumps_list_version"
            on_table = " ON movie" if postgresql else ""
            connection.execute(sa.text(f"DROP TRIGGER {trigger}{on_table}"))
    try:
        logged_in.get("/")
        with app.app_context():
            assert list_cache().max_entries == 0
        create_movie(app, user_id, "Alien", 1979)
        assert listed_titles(logged_in.get("/")) == ["Alien"]
    finally:
        if postgresql:  # the PostgreSQL test database outlives this test
            with app.app_context(), db.engine.begin() as connection:
                for statement in postgresql_statements():
                    connection.execute(sa.text(statement))


@pytest.mark.parametrize("movies", [0, 1])
def test_an_account_that_gets_a_deleted_accounts_id_never_sees_its_pages(
    app, client, movies
):
    """SQLite hands the highest id out again once its account is gone."""
    for email, title in (
        ("carol@example.com", "Carol's"),
        ("dave@example.com", "Dave's"),
    ):
        AuthActions(client).register(email)
        for number in range(movies):
            post(client, "/movies", {"title": f"{title} film {number}"})
        client.get("/")  # shows the flash messages: not kept
        html = client.get("/").get_data(as_text=True)  # kept
        assert email in html
        assert "carol@example.com" not in html or email == "carol@example.com"
        assert "Carol&#39;s" not in html or email == "carol@example.com"
        post(client, "/account/delete", {"password": "correct horse battery"})


CSRF_VALUE = re.compile(r'(name="csrf_token" value=")[^"]+"')
# Requests that ask for the same list page (same key), spelled differently: the
# default sort or first page written out, extra parameters, untrimmed search text.
SAME_PAGE = [
    ("/", "/?page=1&sort=added&utm_source=mail"),
    ("/", "/?utm_source=mail"),
    ("/?page=2", "/?page=2&sort=added&next=%2Fstats&utm_source=mail"),
    ("/watched?q=alien", "/watched?q=%20alien%20&sort=watched&page=1&ref=x"),
]


def fresh_page(app, client, path: str) -> str:
    """The page for `path` rendered now, with the session's CSRF token blanked."""
    with app.app_context():
        list_cache().entries.clear()
    return served_page(client, path)


def served_page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return CSRF_VALUE.sub(r'\1"', response.get_data(as_text=True))


@pytest.mark.parametrize(("plain", "dressed"), SAME_PAGE)
def test_a_kept_page_holds_nothing_of_the_request_that_filled_it(
    app, logged_in, user_id, plain, dressed
):
    """Whoever fills an entry, a later request gets the page it would get alone."""
    app.config["MOVIES_PER_PAGE"] = 2
    for n in range(5):
        create_movie(app, user_id, f"Alien {n}", 1979 + n)
        create_movie(app, user_id, f"Aliens {n}", 1986 + n, viewings=[None])
    logged_in.get("/account")  # shows the login's flash, so list pages are kept
    for first, second in ((dressed, plain), (plain, dressed)):
        alone = fresh_page(app, logged_in, second)
        fresh_page(app, logged_in, first)  # fills the entry
        assert served_page(logged_in, second) == alone
    page = fresh_page(app, logged_in, dressed)
    traces = ("utm_source", "ref=x", "alien ", "+alien", "%2Fstats", "page=1&")
    for trace in (*traces, "sort=added", "sort=watched", 'page=1"'):
        assert trace not in page
    # The import form and the rows' forms lead back to the canonical page.
    hidden_next = re.findall(r'name="next" value="([^"]*)"', page)
    assert hidden_next and set(hidden_next) == {plain}
