"""external ids, likes, tags, import reports

Movies keep the ids other services give them (IMDb, TMDB, Letterboxd film URI) and
whether they are liked; tags are a user's own words; each import is recorded with
the rows it skipped or rejected.

A title and year named one movie of a user; now that holds for movies without ids
only, and each id names one movie of a user, so two films of one title and year
that a source tells apart stay two. On SQLite, dropping the old unique constraint
rebuilds the movie table, which drops its triggers (migration 0004) and the
expression indexes SQLite cannot reflect (migration 0006): both are made again
here, from frozen copies.

Revision ID: 0007_ids_tags_import_reports
Revises: 0006_list_sorts_missing_last
Create Date: 2026-12-01 14:36:34.772376

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_ids_tags_import_reports'
down_revision = '0006_list_sorts_missing_last'
branch_labels = None
depends_on = None

SORT_INDEXES = {
    'ix_movie_list_by_year': 'coalesce(year, 0) DESC',
    'ix_movie_list_by_watched_on': "coalesce(last_watched_on, '0001-01-01') DESC",
    'ix_movie_list_by_rating': 'coalesce(rating_halves, 0) DESC',
}
SQLITE_TRIGGER = """
CREATE TRIGGER movie_{event}_bumps_list_version AFTER {EVENT} ON movie
BEGIN
    UPDATE "user" SET list_version = list_version + 1 WHERE id = {row}.user_id;
END
"""
EVENTS = ("insert", "update", "delete")
NO_IDS = 'imdb_id IS NULL AND tmdb_id IS NULL AND letterboxd_uri IS NULL'
ID_COLUMNS = ('imdb_id', 'tmdb_id', 'letterboxd_uri')


def sqlite_rebuilt_movie_table():
    """What a rebuild of the movie table drops on SQLite, made again."""
    for name, order in SORT_INDEXES.items():
        op.execute(f'DROP INDEX IF EXISTS {name}')
        op.create_index(name, 'movie', ['user_id', 'watched', sa.text(order)])
    for event in EVENTS:
        op.execute(f'DROP TRIGGER IF EXISTS movie_{event}_bumps_list_version')
        op.execute(
            SQLITE_TRIGGER.format(
                event=event,
                EVENT=event.upper(),
                row='OLD' if event == 'delete' else 'NEW',
            )
        )


def upgrade():
    op.create_table('import_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_import_record_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_record'))
    )
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_record_user_id'), ['user_id'], unique=False)

    op.create_table('tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_tag_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag')),
    sa.UniqueConstraint('user_id', 'name_key', name=op.f('uq_tag_user_id_name_key'))
    )
    op.create_table('import_report_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('file', sa.String(length=255), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['import_record.id'], name=op.f('fk_import_report_row_import_id_import_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_report_row'))
    )
    with op.batch_alter_table('import_report_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_report_row_import_id'), ['import_id'], unique=False)

    op.create_table('movie_tag',
    sa.Column('movie_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['movie_id'], ['movie.id'], name=op.f('fk_movie_tag_movie_id_movie'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_movie_tag_tag_id_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('movie_id', 'tag_id', name=op.f('pk_movie_tag'))
    )
    with op.batch_alter_table('movie_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_movie_tag_tag_id'), ['tag_id'], unique=False)

    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('movie', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imdb_id', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('tmdb_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('letterboxd_uri', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('liked', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index('uq_movie_user_id_title_key_no_year')
        batch_op.drop_constraint('uq_movie_user_id_title_key_year', type_='unique')
    if sqlite:
        sqlite_rebuilt_movie_table()
    op.create_index(
        'uq_movie_title_year_without_ids',
        'movie',
        ['user_id', 'title_key', sa.text('coalesce(year, 0)')],
        unique=True,
        sqlite_where=sa.text(NO_IDS),
        postgresql_where=sa.text(NO_IDS),
    )
    for column in ID_COLUMNS:
        op.create_index(
            f'uq_movie_user_id_{column}',
            'movie',
            ['user_id', column],
            unique=True,
            sqlite_where=sa.text(f'{column} IS NOT NULL'),
            postgresql_where=sa.text(f'{column} IS NOT NULL'),
        )


def downgrade():
    # Films told apart by their ids alone would break the old constraint: the
    # downgrade fails then rather than merge them.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column in ID_COLUMNS:
        op.drop_index(f'uq_movie_user_id_{column}', table_name='movie')
    op.drop_index('uq_movie_title_year_without_ids', table_name='movie')
    with op.batch_alter_table('movie', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_movie_user_id_title_key_year', ['user_id', 'title_key', 'year'])
        batch_op.create_index('uq_movie_user_id_title_key_no_year', ['user_id', 'title_key'], unique=True, sqlite_where=sa.text('year IS NULL'), postgresql_where=sa.text('year IS NULL'))
        batch_op.drop_column('liked')
        batch_op.drop_column('letterboxd_uri')
        batch_op.drop_column('tmdb_id')
        batch_op.drop_column('imdb_id')
    if sqlite:
        sqlite_rebuilt_movie_table()

    with op.batch_alter_table('movie_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_movie_tag_tag_id'))

    op.drop_table('movie_tag')
    with op.batch_alter_table('import_report_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_report_row_import_id'))

    op.drop_table('import_report_row')
    op.drop_table('tag')
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_record_user_id'))

    op.drop_table('import_record')
