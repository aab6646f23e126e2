"""LINE channels per jurisdiction, their residents and conversations, and the events they send

Revision ID: 0018
Revises: 0011
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'line_channel',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('jurisdiction_id', sa.Integer(), sa.ForeignKey('jurisdiction.id'), nullable=False, unique=True),
        sa.Column('channel_secret', sa.String(200), nullable=False),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('monthly_push_quota', sa.Integer(), nullable=True),
        sa.Column('push_month', sa.String(7), nullable=True),
        sa.Column('pushes_this_month', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'line_user',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('jurisdiction_id', sa.Integer(), sa.ForeignKey('jurisdiction.id'), nullable=False, index=True),
        sa.Column('user_id', sa.String(64), nullable=False),
        sa.Column('language', sa.String(10), nullable=False),
        sa.Column('conversation', sa.JSON(), nullable=False),
        sa.Column('conversation_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('jurisdiction_id', 'user_id'),
    )
    op.create_table(
        'line_event',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('jurisdiction_id', sa.Integer(), sa.ForeignKey('jurisdiction.id'), nullable=False, index=True),
        sa.Column('webhook_event_id', sa.String(64), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(20), nullable=False, index=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(500), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('jurisdiction_id', 'webhook_event_id'),
    )
    op.create_table(
        'line_report',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('report_id', sa.Integer(), sa.ForeignKey('report.id', ondelete='CASCADE'), nullable=False, unique=True),
        sa.Column('line_user_id', sa.Integer(), sa.ForeignKey('line_user.id'), nullable=False, index=True),
    )


def downgrade():
    op.drop_table('line_report')
    op.drop_table('line_event')
    op.drop_table('line_user')
    op.drop_table('line_channel')
