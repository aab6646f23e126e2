"""Staff sign in to the pages: login name, password hash, second factor, lockout; server-side sessions

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 12:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff') as batch:
        batch.add_column(sa.Column('login', sa.String(100), nullable=True))
        batch.add_column(sa.Column('password_hash', sa.String(255), nullable=True))
        batch.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('totp_secret', sa.String(64), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('failed_signins', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint('uq_staff_login', ['login'])
    op.create_table(
        'web_session',
        sa.Column('id_hash', sa.String(64), primary_key=True),
        sa.Column('staff_id', sa.Integer(), sa.ForeignKey('staff.id', ondelete='CASCADE'), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_web_session_staff_id', 'web_session', ['staff_id'])
    op.create_index('ix_web_session_last_seen_at', 'web_session', ['last_seen_at'])


def downgrade():
    op.drop_index('ix_web_session_last_seen_at', table_name='web_session')
    op.drop_index('ix_web_session_staff_id', table_name='web_session')
    op.drop_table('web_session')
    with op.batch_alter_table('staff') as batch:
        batch.drop_constraint('uq_staff_login', type_='unique')
        for column in ('locked_at', 'failed_signins', 'totp_last_step', 'totp_secret', 'password_changed_at',
                       'password_hash', 'login'):
            batch.drop_column(column)
