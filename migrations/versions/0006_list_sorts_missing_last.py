"""list sorts with missing values last: indexes in the order the pages sort

The year, watched-on and rating sorts put movies without a value last ("DESC NULLS
LAST"). PostgreSQL could serve that order from none of the old indexes (it sorted
all of a user's rows for each page), and a SQLite index cannot say NULLS LAST. The
lists now sort by coalesce(column, a value below every real one) descending, and
these expression indexes hold exactly that order on both databases
(flicklist/models.py: YEAR_OR_LAST, WATCHED_ON_OR_LAST, RATING_OR_LAST).

Revision ID: 0006_list_sorts_missing_last
Revises: 0005_nfkc_emails
Create Date: 2026-12-01 11:22:55.897734

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_list_sorts_missing_last'
down_revision = '0005_nfkc_emails'
branch_labels = None
depends_on = None

NEW_INDEXES = {
    'ix_movie_list_by_year': 'coalesce(year, 0) DESC',
    'ix_movie_list_by_watched_on': "coalesce(last_watched_on, '0001-01-01') DESC",
    'ix_movie_list_by_rating': 'coalesce(rating_halves, 0) DESC',
}
OLD_INDEXES = {
    'ix_movie_user_id_watched_year': 'year',
    'ix_movie_user_id_watched_last_watched_on': 'last_watched_on',
    'ix_movie_user_id_watched_rating_halves': 'rating_halves',
}


def upgrade():
    for name, order in NEW_INDEXES.items():
        op.create_index(name, 'movie', ['user_id', 'watched', sa.text(order)])
    for name in OLD_INDEXES:
        op.drop_index(name, table_name='movie')


def downgrade():
    for name, column in OLD_INDEXES.items():
        op.create_index(name, 'movie', ['user_id', 'watched', column])
    for name in NEW_INDEXES:
        op.drop_index(name, table_name='movie')
