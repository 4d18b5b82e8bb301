"""The lists: search, sorts, pages of 50, and a query count that stays put."""

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.movies.queries import WATCHED_SORTS, WATCHLIST_SORTS, list_statement
from tests.helpers import (
    counting_queries,
    create_movie,
    csrf_token,
    listed_titles,
    postgresql_only,
)


def seed_movies(app, user_id: int, count: int, watched: bool) -> None:
    """`count` movies in bulk ("Film 0001"...), or watched ones ("Seen 0001"...)."""
    prefix = "Seen" if watched else "Film"
    start = datetime(2024, 1, 1)
    with app.app_context():
        db.session.execute(
            sa.insert(Movie.__table__),
            [
                {
                    "user_id": user_id,
                    "title": f"{prefix} {n:04}",
                    "year": 1900 + n % 120 if n % 7 else None,
                    "added_at": start + timedelta(minutes=n),
                    "rating_halves": n % 10 + 1 if watched and n % 3 else None,
                    "note": "",
                    "watched": watched,
                    "viewing_count": 1 if watched else 0,
                    "last_watched_on": date(2024, 1, 1) + timedelta(days=n % 300)
                    if watched
                    else None,
                }
                for n in range(count)
            ],
        )
        if watched:
            ids = db.session.scalars(sa.select(Movie.id).where(Movie.watched))
            db.session.execute(
                sa.insert(Viewing.__table__),
                [{"movie_id": movie_id, "watched_on": None} for movie_id in ids],
            )
        db.session.commit()


PAGES = [
    "/",
    "/?sort=title",
    "/?sort=year&page=2",
    "/?q=film+00",
    "/watched",
    "/watched?sort=rating",
    "/watched?sort=title&q=1&page=2",
    "/stats",
    "/export.csv",
]


def queries_per_page(app, client) -> dict[str, int]:
    result = {}
    for path in PAGES:
        client.get(path)  # warm up: the login session may be touched once
        with counting_queries(app) as statements:
            response = client.get(path)
            response.get_data()  # the export streams: read all of it
        assert response.status_code == 200
        result[path] = len(statements)
    return result


def test_queries_per_page_do_not_grow_with_the_list(app, logged_in, user_id):
    # Count what rendering costs: the rendered-page cache would hide it.
    app.config["LIST_CACHE_ENTRIES"] = 0
    seed_movies(app, user_id, 5, watched=False)
    seed_movies(app, user_id, 5, watched=True)
    small = queries_per_page(app, logged_in)
    with app.app_context():
        db.session.execute(sa.delete(Movie))
        db.session.commit()
    seed_movies(app, user_id, 500, watched=False)
    seed_movies(app, user_id, 500, watched=True)
    large = queries_per_page(app, logged_in)
    assert large == small, (small, large)
    # The lists themselves: the login session, then one query for the page.
    assert small["/"] <= 2


def test_pages_of_fifty_with_links_that_keep_q_and_sort(app, logged_in, user_id):
    seed_movies(app, user_id, 120, watched=False)
    first = logged_in.get("/?sort=title&q=film")
    assert listed_titles(first)[:2] == ["Film 0000", "Film 0001"]
    assert len(listed_titles(first)) == 50
    html = first.get_data(as_text=True)
    assert 'href="/?sort=title&amp;q=film&amp;page=2"' in html
    assert 'rel="prev"' not in html
    third = logged_in.get("/?sort=title&q=film&page=3")
    assert listed_titles(third)[0] == "Film 0100"
    assert len(listed_titles(third)) == 20
    html = third.get_data(as_text=True)
    assert 'rel="next"' not in html
    assert 'href="/?sort=title&amp;q=film&amp;page=2"' in html


def test_search_ignores_case_and_matches_inside_titles(app, logged_in, user_id):
    for title in ("The Matrix", "Matrix Reloaded", "Heat", "100% Wolf", "A_B"):
        create_movie(app, user_id, title, 2000)
    assert set(listed_titles(logged_in.get("/?q=MATRIX"))) == {
        "The Matrix",
        "Matrix Reloaded",
    }
    # LIKE wildcards in the search are plain characters.
    assert listed_titles(logged_in.get("/?q=%25")) == ["100% Wolf"]
    assert listed_titles(logged_in.get("/?q=_")) == ["A_B"]
    empty = logged_in.get("/?q=zzz").get_data(as_text=True)
    assert "No movie on your watchlist matches" in empty


def test_watchlist_sorts(app, logged_in, user_id):
    base = datetime(2024, 1, 1)
    for offset, (title, year) in enumerate(
        [("banana", 1990), ("Apple", None), ("cherry", 2020), ("apple pie", 1990)]
    ):
        create_movie(app, user_id, title, year, added_at=base + timedelta(days=offset))
    assert listed_titles(logged_in.get("/")) == [
        "apple pie",
        "cherry",
        "Apple",
        "banana",
    ]
    assert listed_titles(logged_in.get("/?sort=title")) == [
        "Apple",
        "apple pie",
        "banana",
        "cherry",
    ]
    assert listed_titles(logged_in.get("/?sort=year"))[0] == "cherry"
    assert listed_titles(logged_in.get("/?sort=year"))[-1] == "Apple"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("watched", ["Recent", "Older", "Undated"]),
        ("rating", ["Older", "Recent", "Undated"]),
        ("title", ["Older", "Recent", "Undated"]),
    ],
)
def test_watched_sorts_put_missing_values_last(app, logged_in, user_id, sort, expected):
    movies = [
        ("Recent", date(2024, 5, 1), 6),
        ("Older", date(2023, 5, 1), 9),
        ("Undated", None, None),
    ]
    for title, watched_on, halves in movies:
        create_movie(
            app,
            user_id,
            title,
            2000,
            viewings=[watched_on],
            rating_halves=halves,
        )
    assert listed_titles(logged_in.get(f"/watched?sort={sort}")) == expected


def test_empty_watched_search_says_so(logged_in):
    html = logged_in.get("/watched?q=nothing").get_data(as_text=True)
    assert "No watched movie matches" in html


def test_each_busy_form_costs_a_fixed_number_of_statements(app, logged_in, user_id):
    """Add, mark watched and rate: the session lookup, then one conditional write
    (a viewing adds its row), whatever the list holds; SQLite's ending of the
    lookup's read transaction is a COMMIT, not a query."""
    seed_movies(app, user_id, 300, watched=True)
    movie_id = create_movie(app, user_id, "Counted", 2001, viewings=[date(2020, 1, 1)])
    token = csrf_token(logged_in, "/")
    forms = {
        "/movies": ({"title": "Brand new", "year": "1999"}, 2),
        f"/movies/{movie_id}/watched": ({"date": "2024-05-01"}, 3),
        f"/movies/{movie_id}/rating": ({"rating": "4.5"}, 2),
    }
    for path, (fields, expected) in forms.items():
        with counting_queries(app) as statements:
            response = logged_in.post(path, data={"csrf_token": token, **fields})
        assert response.status_code == 303, path
        writes = [s for s in statements if not s.lstrip().upper().startswith("COMMIT")]
        assert len(writes) == expected, (path, writes)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("watched", "sort"),
    [(False, s) for s in WATCHLIST_SORTS] + [(True, s) for s in WATCHED_SORTS],
)
def test_every_sort_reads_its_page_from_an_index(app, watched, sort):
    """No list sorts all of a user's movies to show fifty: SQLite's plan walks an
    index in the sort's order (ties may be sorted, never the whole list)."""
    statement = list_statement(watched, sort, searching=False)
    with app.app_context(), db.engine.connect() as connection:
        sql = str(statement.compile(connection))
        plan = [
            row[3]
            for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, (1, 51, 0)
            )
        ]
    assert any("USING INDEX ix_movie_" in step for step in plan), plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


@postgresql_only
@pytest.mark.parametrize(
    ("watched", "sort"),
    [(False, s) for s in WATCHLIST_SORTS] + [(True, s) for s in WATCHED_SORTS],
)
def test_postgresql_never_sorts_a_whole_list_for_one_page(app, user_id, watched, sort):
    """With real statistics, each sort walks an index in its own order: at most
    ties are sorted (an Incremental Sort), never all of the user's movies."""
    seed_movies(app, user_id, 3000, watched=False)
    seed_movies(app, user_id, 3000, watched=True)
    statement = list_statement(watched, sort, searching=False)
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE movie")
        bound = statement.params(owner=user_id, rows=51, skipped=0)
        sql = bound.compile(connection, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "Index" in plan, plan
    assert not re.search(r"(?<!Incremental )Sort  \(", plan), plan
