"""GET /stats: counts, average, histogram and months, as SVG with tables beside."""

import re
from datetime import date

from flicklist.stats.charts import bar_chart, nice_ceiling
from flicklist.stats.queries import month_starts
from flicklist.timeutil import today
from tests.helpers import create_movie, create_user, post


def table_rows(html: str, caption: str) -> list[tuple[str, str]]:
    """The (label, count) rows of the table that follows a chart's summary."""
    table = html.split(f"<summary>{caption} as a table</summary>", 1)[1]
    table = table.split("</table>", 1)[0]
    return re.findall(r'<th scope="row">(.*?)</th><td>(\d+)</td>', table)


def test_empty_stats(logged_in):
    response = logged_in.get("/stats")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html
    assert "none yet" in html
    assert [count for _, count in table_rows(html, "Ratings")] == ["0"] * 10
    assert len(table_rows(html, "Watched per month")) == 12


def test_counts_average_and_histogram(app, logged_in, user_id, password_hash):
    create_movie(app, user_id, "To watch", 2000)
    create_movie(app, user_id, "Put back but rated", 2000, rating_halves=2)
    for title, rating in [("A", "4.5"), ("B", "4.5"), ("C", "1"), ("D", "")]:
        movie_id = create_movie(app, user_id, title, 2001)
        post(logged_in, f"/movies/{movie_id}/watched")
        if rating:
            post(logged_in, f"/movies/{movie_id}/rating", {"rating": rating})
    other = create_user(app, "bob@example.com", password_hash)
    create_movie(app, other, "Not mine", 2000, rating_halves=10)
    html = logged_in.get("/stats").get_data(as_text=True)
    numbers = dict(re.findall(r"<dt>(.*?)</dt><dd>(\d+(?:\.\d)?)", html))
    # Ratings 1, 4.5, 4.5 and 1 (the put-back movie keeps its rating): 11 / 4.
    assert numbers == {
        "To watch": "2",
        "Watched": "4",
        "Rated": "4",
        "Average rating": "2.8",
    }
    assert dict(table_rows(html, "Ratings")) == {
        "0.5": "0",
        "1": "2",
        "1.5": "0",
        "2": "0",
        "2.5": "0",
        "3": "0",
        "3.5": "0",
        "4": "0",
        "4.5": "2",
        "5": "0",
    }
    assert len(re.findall(r'<rect class="chart-bar"', html)) == 10 + 12


def test_watched_per_month_over_the_last_twelve_months(app, logged_in, user_id):
    this_month = today().replace(day=1)
    months = month_starts(today())
    movie_id = create_movie(app, user_id, "Rewatched", 2000)
    other_id = create_movie(app, user_id, "Seen once", 2001)
    for watched_on in (this_month, this_month, months[0], date(2001, 1, 1)):
        post(logged_in, f"/movies/{movie_id}/watched", {"date": watched_on.isoformat()})
    post(logged_in, f"/movies/{other_id}/watched", {"date": this_month.isoformat()})
    html = logged_in.get("/stats").get_data(as_text=True)
    rows = table_rows(html, "Watched per month")
    # Movies, not viewings: the rewatch in the same month counts once.
    assert rows[-1] == (this_month.strftime("%B %Y"), "2")
    assert rows[0] == (months[0].strftime("%B %Y"), "1")
    assert sum(int(count) for _, count in rows) == 3  # 2001 is too long ago


def test_the_charts_carry_no_inline_styles(logged_in, app, user_id):
    create_movie(app, user_id, "A", 2000, viewings=[None], rating_halves=7)
    html = logged_in.get("/stats").get_data(as_text=True)
    assert "style=" not in html
    assert "<style" not in html
    assert 'role="img"' in html
    assert "<desc" in html


def test_stats_link_in_the_navigation(logged_in):
    html = logged_in.get("/").get_data(as_text=True)
    assert '<a href="/stats">Stats</a>' in html


def test_month_starts_cross_the_year():
    assert month_starts(date(2025, 2, 14), 4) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]


def test_bar_geometry():
    assert [nice_ceiling(n) for n in (1, 3, 7, 11, 40, 120)] == [1, 5, 10, 20, 50, 200]
    chart = bar_chart([("a", 0), ("b", 5), ("c", 10)])
    tallest = chart.bars[2]
    assert chart.bars[0].height == 0
    assert chart.bars[1].height == tallest.height / 2
    assert tallest.y + tallest.height == chart.baseline
    assert [line.value for line in chart.gridlines] == [0, 5, 10]
    odd_top = bar_chart([("a", 3)])
    assert [line.value for line in odd_top.gridlines] == [0, 5]
    assert all(bar.x + bar.width <= chart.right for bar in chart.bars)
