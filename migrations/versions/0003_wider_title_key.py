"""wider title key: case folding can make a 200-character title longer than 400

Revision ID: 0003_wider_title_key
Revises: 0002_list_sort_indexes
Create Date: 2026-11-26 06:51:14.041141

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_wider_title_key'
down_revision = '0002_list_sort_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('movie', schema=None) as batch_op:
        batch_op.alter_column('title_key',
               existing_type=sa.VARCHAR(length=400),
               type_=sa.String(length=800),
               existing_nullable=False)


def downgrade():
    with op.batch_alter_table('movie', schema=None) as batch_op:
        batch_op.alter_column('title_key',
               existing_type=sa.String(length=800),
               type_=sa.VARCHAR(length=400),
               existing_nullable=False)
