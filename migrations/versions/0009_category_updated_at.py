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
    with op.batch_alter_table('category') as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    category = sa.table('category', sa.column('updated_at', sa.DateTime(timezone=True)))
    op.execute(category.update().values(updated_at=datetime.now(timezone.utc)))
    with op.batch_alter_table('category') as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('category') as batch_op:
        batch_op.drop_column('updated_at')
