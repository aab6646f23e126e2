"""photo regions blurred in public derivatives, and the public derivatives' own keys

Revision ID: 0023
Revises: 0018
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('photo', sa.Column('public_large_key', sa.String(200), nullable=True))
    op.add_column('photo', sa.Column('public_thumb_key', sa.String(200), nullable=True))
    # A constant default adds the column in place on SQLite too (no table rebuild).
    op.add_column('photo', sa.Column('regions_version', sa.Integer(), nullable=False, server_default=sa.text('0')))
    # Photos made before regions existed have none: the public sees their sharp derivatives.
    photo = sa.table('photo', sa.column('large_key', sa.String), sa.column('thumb_key', sa.String),
                     sa.column('public_large_key', sa.String), sa.column('public_thumb_key', sa.String))
    op.execute(photo.update().values(public_large_key=photo.c.large_key, public_thumb_key=photo.c.thumb_key))
    if op.get_bind().dialect.name != 'sqlite':
        # SQLite would rebuild the table to drop a default; the models always set the value anyway.
        op.alter_column('photo', 'regions_version', server_default=None)
    op.create_table(
        'photo_region',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('photo_id', sa.Integer(), sa.ForeignKey('photo.id', ondelete='CASCADE'), nullable=False, index=True),
        sa.Column('left', sa.Float(), nullable=False),
        sa.Column('top', sa.Float(), nullable=False),
        sa.Column('width', sa.Float(), nullable=False),
        sa.Column('height', sa.Float(), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('source', sa.String(20), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('staff.id', ondelete='SET NULL'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('removed_by_id', sa.Integer(), sa.ForeignKey('staff.id', ondelete='SET NULL'), nullable=True),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    op.drop_table('photo_region')
    with op.batch_alter_table('photo') as batch:
        batch.drop_column('regions_version')
        batch.drop_column('public_thumb_key')
        batch.drop_column('public_large_key')
