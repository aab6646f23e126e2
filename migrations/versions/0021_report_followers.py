"""Residents following a report ("me too"): an e-mail with its opt-in, or an app's device; category translations

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-01 12:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_follower',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('report_id', sa.Integer(), sa.ForeignKey('report.id', ondelete='CASCADE'), nullable=False, index=True),
        sa.Column('email', sa.String(254), nullable=True),
        sa.Column('device_id', sa.String(200), nullable=True),
        sa.Column('email_updates', sa.Boolean(), nullable=False),
        sa.Column('language', sa.String(10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('report_id', 'email', name='uq_report_follower_email'),
        sa.UniqueConstraint('report_id', 'device_id', name='uq_report_follower_device'),
    )
    # Added in place (no batch): SQLite must not rebuild the category table, which reports refer to.
    op.add_column('category', sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('category', 'translations')
    op.drop_table('report_follower')
