"""a renewed staff API key may leave the one before it working for a while

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 14:20:00

When an admin renews a member's key they may keep the key before it working
for a day, so a script or an internal system is moved to the new key without
a gap. The staff table is small; the columns are added in place.
"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff') as batch:
        batch.add_column(sa.Column('previous_key_prefix', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('previous_key_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('previous_key_until', sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint('uq_staff_previous_key_hash', ['previous_key_hash'])


def downgrade():
    with op.batch_alter_table('staff') as batch:
        batch.drop_constraint('uq_staff_previous_key_hash', type_='unique')
        batch.drop_column('previous_key_until')
        batch.drop_column('previous_key_hash')
        batch.drop_column('previous_key_prefix')
