"""The stats page: counts, average rating, a rating histogram, films watched a month."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from flicklist.db_session import read_in_one_transaction
from flicklist.extensions import db, without_rate_limits
from flicklist.stats.charts import bar_chart
from flicklist.stats.queries import monthly_viewings, movie_counts, rating_histogram

bp = without_rate_limits(Blueprint("stats", __name__))


@bp.before_request
@login_required
def require_login() -> None:
    """The stats are behind the login wall."""


@bp.get("/stats")
def index():
    read_in_one_transaction(db.session)  # the counts and charts must agree
    ratings = rating_histogram(current_user.id)
    months = monthly_viewings(current_user.id)
    return render_template(
        "stats/index.html",
        counts=movie_counts(current_user.id),
        ratings=bar_chart(ratings),
        rating_rows=ratings,
        months=bar_chart([(month.strftime("%b"), count) for month, count in months]),
        month_rows=[(month.strftime("%B %Y"), count) for month, count in months],
    )
