"""POST /import: every kind of file, duplicates, bad rows, bad files, all or nothing."""

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from flicklist.extensions import db
from flicklist.models import Movie, Viewing
from flicklist.timeutil import today
from flicklist.transfer.parse import ImportFileError, parse_file, recognise
from tests.helpers import (
    create_movie,
    create_user,
    flash_text,
    flashes,
    import_counts,
    post,
    stored_movies,
    upload,
)

DATA = Path(__file__).parent / "data"


def import_file(client, name: str, filename: str | None = None):
    """Upload a file from tests/data; the page the user lands on."""
    response = upload(client, (DATA / name).read_bytes(), filename or name)
    assert response.status_code in (302, 303)
    return client.get(response.headers["Location"])


def test_letterboxd_watchlist_with_bom_crlf_quoted_commas_and_blank_year(
    app, logged_in
):
    page = import_file(logged_in, "letterboxd_watchlist.csv")
    assert import_counts(page) == {
        "added": 4,
        "skipped": 0,
        "duplicates": 0,
        "updated": 0,
        "not_films": 0,
        "rejected": 0,
    }
    assert [category for category, _ in flashes(page)] == ["success"]
    assert stored_movies(app) == {
        ("Paris, Texas", 1984): (False, [], None, ""),
        ("Crouching Tiger, Hidden Dragon", 2000): (False, [], None, ""),
        ("Amélie", 2001): (False, [], None, ""),
        ("Untitled Kaufman Project", None): (False, [], None, ""),
    }
    with app.app_context():
        added = db.session.scalar(
            sa.select(Movie.added_at).where(Movie.title == "Amélie")
        )
    assert added.date() == date(2024, 3, 20)


@pytest.mark.parametrize(
    "filename", ["watched.csv", "letterboxd-watched (1).csv", "MyWatched.CSV"]
)
def test_letterboxd_watched_is_told_apart_by_its_file_name(app, logged_in, filename):
    page = import_file(logged_in, "letterboxd_watched.csv", filename)
    assert import_counts(page)["added"] == 2
    assert "line 4: a bad year (19x1)" in flash_text(page)
    assert stored_movies(app) == {
        ("Stalker", 1979): (True, [None], None, ""),
        ("Spirited Away", 2001): (True, [None], None, ""),
    }


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("watchlist.csv", "letterboxd-watchlist"),
        ("watched.csv", "letterboxd-watched"),
        ("my-watched-watchlist.csv", "letterboxd-watchlist"),
        ("films.csv", "letterboxd-watchlist"),
    ],
)
def test_letterboxd_shared_header_by_file_name(filename, kind):
    assert recognise(["Date", "Name", "Year", "Letterboxd URI"], filename) == kind


def test_letterboxd_ratings(app, logged_in):
    page = import_file(logged_in, "letterboxd_ratings.csv")
    assert import_counts(page)["added"] == 3
    assert import_counts(page)["rejected"] == 1
    assert "line 5" in flash_text(page)
    assert stored_movies(app) == {
        ("Stalker", 1979): (True, [None], 5.0, ""),
        ("Cats", 2019): (True, [None], 0.5, ""),
        ("Heat", 1995): (True, [None], 4.5, ""),
    }


def test_letterboxd_diary_rewatches_are_more_viewings(app, logged_in):
    page = import_file(logged_in, "letterboxd_diary.csv")
    assert import_counts(page)["added"] == 2
    assert "line 5: no title" in flash_text(page)
    assert stored_movies(app) == {
        ("Heat", 1995): (True, [date(2023, 1, 1), date(2023, 5, 9)], 4.5, ""),
        ("Past Lives", 2023): (True, [date(2023, 2, 3)], None, ""),
    }
    with app.app_context():
        heat = db.session.scalar(sa.select(Movie).where(Movie.title == "Heat"))
        assert (heat.viewing_count, heat.last_watched_on) == (2, date(2023, 5, 9))


def test_letterboxd_reviews_become_notes_with_their_line_breaks(app, logged_in):
    import_file(logged_in, "letterboxd_reviews.csv")
    assert stored_movies(app) == {
        ("Aftersun", 2022): (
            True,
            [date(2023, 2, 28)],
            5.0,
            "Quiet, devastating.\nThe last dance scene.",
        )
    }


def test_imdb_ratings_new_format_halves_ratings_and_skips_series(app, logged_in):
    page = import_file(logged_in, "imdb_ratings.csv")
    assert import_counts(page) == {
        "added": 2,
        "skipped": 2,
        "duplicates": 0,
        "updated": 0,
        "not_films": 2,
        "rejected": 1,
    }
    assert "line 6" in flash_text(page)
    assert stored_movies(app) == {
        ("Heat", 1995): (True, [date(2024, 2, 10)], 4.5, ""),
        ("Spirited Away", 2001): (True, [date(2024, 2, 12)], 4.0, ""),
    }


def test_imdb_ratings_old_format_in_cp1252_with_lowercase_types(app, logged_in):
    page = import_file(logged_in, "imdb_ratings_old.csv")
    assert import_counts(page)["not_films"] == 1
    assert stored_movies(app) == {
        ("Amélie", 2001): (True, [date(2019, 5, 1)], 4.5, ""),
        ("La vita è bella", 1997): (True, [date(2019, 5, 3)], 2.5, ""),
    }


def test_imdb_watchlist_new_format_rated_rows_are_watched(app, logged_in):
    page = import_file(logged_in, "imdb_watchlist.csv")
    assert import_counts(page)["not_films"] == 2
    assert stored_movies(app) == {
        ("Alien", 1979): (False, [], None, ""),
        ("Aliens", 1986): (True, [date(2024, 3, 5)], 4.0, ""),
    }


def test_imdb_list_old_format(app, logged_in):
    page = import_file(logged_in, "imdb_list_old.csv")
    assert import_counts(page) == {
        "added": 2,
        "skipped": 2,
        "duplicates": 0,
        "updated": 0,
        "not_films": 2,
        "rejected": 1,
    }
    assert "line 6: no title" in flash_text(page)
    assert stored_movies(app) == {
        ("Blade Runner", 1982): (False, [], None, ""),
        ("2001: A Space Odyssey", 1968): (False, [], None, ""),
    }


def test_flicklist_file_with_rating_written_either_way(app, logged_in):
    page = import_file(logged_in, "flicklist_handmade.csv")
    assert import_counts(page)["added"] == 4
    assert "line 6: a bad year (twenty)" in flash_text(page)
    assert "line 7: a bad rating (6)" in flash_text(page)
    assert stored_movies(app) == {
        ("Crouching Tiger, Hidden Dragon", 2000): (True, [date(2024, 5, 1)], 4.0, ""),
        ("Amélie", 2001): (True, [None], 4.5, ""),
        ('She said "hi"', None): (False, [], None, ""),
        ("<b>Bold</b>", 1999): (False, [], 3.0, ""),
    }
    html = logged_in.get("/").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<b>Bold</b>" not in html


def test_duplicates_are_skipped_but_fill_what_the_movie_lacks(app, logged_in, user_id):
    create_movie(app, user_id, "HEAT", 1995)  # on the watchlist, no rating
    create_movie(app, user_id, "stalker", 1979, rating_halves=6, note="Mine.")
    page = import_file(logged_in, "letterboxd_ratings.csv")
    assert import_counts(page)["added"] == 1  # Cats
    assert import_counts(page)["skipped"] == import_counts(page)["duplicates"] == 2
    assert import_counts(page)["updated"] == 2
    assert "1 added, 2 skipped (2 already on your list, 2 of them updated" in (
        flash_text(page)
    )
    result = stored_movies(app)
    # Heat gains the viewing and the rating; its title stays as the user typed it.
    assert result[("HEAT", 1995)] == (True, [None], 4.5, "")
    # Stalker gains a viewing but keeps the user's own rating and note.
    assert result[("stalker", 1979)] == (True, [None], 3.0, "Mine.")
    page = import_file(logged_in, "letterboxd_ratings.csv")
    assert import_counts(page)["added"] == 0
    assert import_counts(page)["updated"] == 0
    assert import_counts(page)["duplicates"] == 3
    assert stored_movies(app) == result


def test_reimport_adds_nothing(app, logged_in):
    import_file(logged_in, "letterboxd_diary.csv")
    before = stored_movies(app)
    page = import_file(logged_in, "letterboxd_diary.csv")
    assert import_counts(page)["added"] == 0
    assert import_counts(page)["duplicates"] == 2
    assert stored_movies(app) == before


def test_repeated_rows_in_one_file_are_duplicates(app, logged_in):
    content = (
        b"Date,Name,Year,Letterboxd URI\n2024-01-01,Alien,1979,x\n"
        b"2024-01-02,ALIEN,1979,y\n2024-01-03,Alien,,z\n"
    )
    page = logged_in.get(upload(logged_in, content, "watchlist.csv").location)
    assert import_counts(page)["added"] == 2
    assert import_counts(page)["duplicates"] == 1
    assert set(stored_movies(app)) == {("Alien", 1979), ("Alien", None)}


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "watchlist.csv", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "poster.png", "not a text file"),
        (b"name,email\nAnn,ann@example.com\n", "contacts.csv", "knows"),
        (b"Date,Name,Year,Letterboxd URI\n", "watchlist.csv", "no movies in it"),
        (b"Date,Name,Year,Letterboxd URI\n2024-01-01,,1999,x\n", "w.csv", "nothing"),
        (
            b"Title,Year,Watched,WatchedDate,Rating,Added\n\x81\x8d\x8f\n",
            "f.csv",
            "text",
        ),
        (
            b'Title,Year,Watched,WatchedDate,Rating,Added\n"Alien,1979,no,,,\n',
            "f.csv",
            "not a readable CSV",
        ),
        (
            b"Const,Your Rating,Date Rated,Title,Title Type,Year\n"
            b"tt1,9,2024-01-01,Lost,TV Series,2004\n",
            "ratings.csv",
            "nothing to import",
        ),
    ],
)
def test_files_that_cannot_be_imported_change_nothing(
    app, logged_in, user_id, content, filename, expected
):
    create_movie(app, user_id, "Keep me", 2000)
    before = stored_movies(app)
    response = upload(logged_in, content, filename)
    assert response.status_code in (302, 303)
    page = logged_in.get(response.headers["Location"])
    assert [category for category, _ in flashes(page)] == ["error"]
    assert expected in flash_text(page)
    assert "Nothing was imported" in flash_text(page)
    assert stored_movies(app) == before


def test_no_file_chosen(app, logged_in):
    response = post(logged_in, "/import", {}, content_type="multipart/form-data")
    page = logged_in.get(response.headers["Location"])
    assert "Choose a CSV file" in flash_text(page)


def test_a_file_that_fails_half_way_changes_nothing(
    app, logged_in, user_id, monkeypatch
):
    """The database fails after the movies were written: they go too."""
    from flicklist.transfer import merge as importing

    create_movie(app, user_id, "Keep me", 2000)
    before = stored_movies(app)

    def failing_insert_viewings(rows):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importing, "insert_viewings", failing_insert_viewings)
    with pytest.raises(RuntimeError):
        upload(logged_in, (DATA / "letterboxd_diary.csv").read_bytes(), "diary.csv")
    assert stored_movies(app) == before


def test_the_import_form_is_on_the_watchlist_and_the_account_page(logged_in):
    for path in ("/", "/account"):
        html = logged_in.get(path).get_data(as_text=True)
        assert 'action="/import"' in html
        assert 'enctype="multipart/form-data"' in html
        assert 'name="file"' in html


def test_import_returns_to_the_page_it_came_from(logged_in):
    response = upload(
        logged_in, (DATA / "imdb_watchlist.csv").read_bytes(), "w.csv", next="/account"
    )
    assert response.headers["Location"] == "/account"
    response = upload(logged_in, b"nonsense", "x.csv", next="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_import_needs_csrf_and_login(app, client, logged_in):
    content = (DATA / "imdb_watchlist.csv").read_bytes()
    response = logged_in.post(
        "/import",
        data={"file": (io.BytesIO(content), "w.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_movies(app) == {}
    post(logged_in, "/logout")
    response = client.post(
        "/import",
        data={"file": (io.BytesIO(content), "w.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303, 400)
    assert stored_movies(app) == {}


def test_import_accepts_up_to_10_mib_and_answers_413_above(app, logged_in):
    header = b"Date,Name,Year,Letterboxd URI\n"
    row = b"2024-01-01,Padding film,1999,https://boxd.it/x\n"
    padding = b"#" * 100
    big = header + row + (b"\n" * (2 * 1024 * 1024 + 1000)) + padding
    response = upload(logged_in, big, "watchlist.csv")
    assert response.status_code in (302, 303)  # over the usual 2 MiB, still fine
    assert ("Padding film", 1999) in stored_movies(app)
    huge = header + row * (10 * 1024 * 1024 // len(row) + 1)
    response = upload(logged_in, huge, "watchlist.csv")
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    # Elsewhere the usual limit stays.
    response = post(logged_in, "/movies", {"title": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_each_user_imports_into_their_own_list(app, logged_in, password_hash):
    import_file(logged_in, "imdb_watchlist.csv")
    bob = create_user(app, "bob@example.com", password_hash)
    with app.app_context():
        owners = set(db.session.scalars(sa.select(Movie.user_id)))
    assert bob not in owners


def test_ten_thousand_rows_import(app, logged_in, user_id):
    create_movie(app, user_id, "Film 00042", 1942)
    lines = ["Title,Year,Watched,WatchedDate,Rating,Added"]
    day = today() - timedelta(days=1)
    for number in range(10_000):
        watched = number % 2 == 0
        lines.append(
            f"Film {number:05},{1900 + number % 120},{'yes' if watched else 'no'},"
            f"{day.isoformat() if watched else ''},{(number % 10 + 1) / 2:g},"
            "2024-01-01"
        )
    page = logged_in.get(
        upload(logged_in, "\n".join(lines).encode(), "big.csv").location
    )
    assert import_counts(page)["added"] == 9_999
    # Film 00042 gains its viewing and rating.
    assert import_counts(page)["updated"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Movie.id))) == 10_000
        assert db.session.scalar(sa.select(sa.func.count(Viewing.id))) == 5_000


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Alien,1869,no,,,2024-01-01", "year"),
        ("Alien,1979,maybe,,,2024-01-01", "yes nor no"),
        ("Alien,1979,yes,2024-13-01,,2024-01-01", "date"),
        ("Alien,1979,yes,2999-01-01,,2024-01-01", "date"),
        ("Alien,1979,yes,,nan,2024-01-01", "rating"),
        ("Alien,1979,yes,,4.25,2024-01-01", "rating"),
        ('"' + "x" * 201 + '",1979,no,,,', "longer than 200"),
        ("Al\x01ien,1979,no,,,", "control"),
    ],
)
def test_unreadable_rows_are_rejected_with_their_line(line, reason):
    content = f"Title,Year,Watched,WatchedDate,Rating,Added\r\n{line}\r\n"
    parsed = parse_file(content.encode(), "x.csv")
    assert parsed.records == []
    assert len(parsed.rejected) == 1
    assert parsed.rejected[0][0] == 2
    assert reason in parsed.rejected[0][1]


def test_line_numbers_count_line_breaks_inside_quotes():
    content = (
        "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n"
        '2023-01-01,A,2000,x,4,,"one\ntwo\nthree",,2023-01-01\n'
        "2023-01-01,,2000,x,4,,,,2023-01-01\n"
    )
    parsed = parse_file(content.encode(), "reviews.csv")
    assert parsed.rejected == [(5, "no title")]


def test_columns_are_found_by_name_not_position():
    content = (
        "Added,Rating,WatchedDate,Watched,Year,Title,Extra\n"
        "2024-01-01,3.5,2024-02-02,yes,1999,The Matrix,whatever\n"
    )
    (record,) = parse_file(content.encode(), "x.csv").records
    assert (record.title, record.year, record.rating_halves) == ("The Matrix", 1999, 7)
    assert record.viewings == [date(2024, 2, 2)]


@pytest.mark.parametrize(
    ("rating", "halves"), [("1", 1), ("2", 2), ("7", 7), ("10", 10), ("7.4", 7)]
)
def test_imdb_ratings_are_halved_to_the_nearest_half_star(rating, halves):
    content = (
        "Const,Your Rating,Date Rated,Title,Title Type,Year\n"
        f"tt1,{rating},,A,movie,2000\n"
    )
    (record,) = parse_file(content.encode(), "ratings.csv").records
    assert record.rating_halves == halves


def test_a_broken_csv_is_a_file_error():
    with pytest.raises(ImportFileError):
        parse_file(b"\x00\x01\x02", "x.csv")


def test_imdb_ratings_from_before_2017_came_as_a_list_with_you_rated(app, logged_in):
    content = (
        b"position,const,created,modified,description,Title,Title type,Directors,"
        b"You rated,IMDb Rating,Runtime (mins),Year,Genres,Num. Votes,"
        b"Release Date (month/day/year),URL\n"
        b"1,tt0133093,Mon Feb 10 00:00:00 2014,Mon Feb 10 00:00:00 2014,,The Matrix,"
        b'Feature Film,"Lana Wachowski, Lilly Wachowski",10,8.7,136,1999,"Action, '
        b'Sci-Fi",1500000,1999-03-31,http://www.imdb.com/title/tt0133093/\n'
        b"2,tt0108778,Mon Feb 10 00:00:00 2014,Mon Feb 10 00:00:00 2014,,Friends,"
        b"TV Series,,7,8.9,22,1994,Comedy,900000,1994-09-22,"
        b"http://www.imdb.com/title/tt0108778/\n"
    )
    page = logged_in.get(upload(logged_in, content, "ratings.csv").location)
    assert import_counts(page)["not_films"] == 1
    assert stored_movies(app) == {("The Matrix", 1999): (True, [None], 5.0, "")}
