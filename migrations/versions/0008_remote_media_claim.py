"""remote media keep when a worker claimed them, so a fetch lost with its worker is taken again

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('remote_media') as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('remote_media') as batch_op:
        batch_op.drop_column('claimed_at')
