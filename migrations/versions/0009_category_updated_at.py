"""categories keep when they last changed, so every process notices a change soon

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # A NOT NULL column with a constant default is added in place on every
    # database: SQLite rebuilds no table, so the rows that refer to
    # categories are left alone. The time of the upgrade is written over it.
    op.add_column('category', sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                                        server_default=sa.text("'1970-01-01 00:00:00'")))
    category = sa.table('category', sa.column('updated_at', sa.DateTime(timezone=True)))
    op.execute(category.update().values(updated_at=datetime.now(timezone.utc)))
    if op.get_bind().dialect.name != 'sqlite':
        # SQLite would rebuild the table to drop a default; the models always set the value anyway.
        op.alter_column('category', 'updated_at', server_default=None)


def downgrade():
    op.drop_column('category', 'updated_at')
