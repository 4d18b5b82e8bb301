"""list sort indexes: one per sort the list pages offer

Revision ID: 0002_list_sort_indexes
Revises: 0001_initial
Create Date: 2026-11-26 06:27:58.037236

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_list_sort_indexes'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('movie', schema=None) as batch_op:
        batch_op.create_index('ix_movie_user_id_watched_rating_halves', ['user_id', 'watched', 'rating_halves'], unique=False)
        batch_op.create_index('ix_movie_user_id_watched_title_key', ['user_id', 'watched', 'title_key'], unique=False)
        batch_op.create_index('ix_movie_user_id_watched_year', ['user_id', 'watched', 'year'], unique=False)



def downgrade():
    with op.batch_alter_table('movie', schema=None) as batch_op:
        batch_op.drop_index('ix_movie_user_id_watched_year')
        batch_op.drop_index('ix_movie_user_id_watched_title_key')
        batch_op.drop_index('ix_movie_user_id_watched_rating_halves')

