"""Urgent categories and their notices, what a jurisdiction does not take, department phones, and the
translations of departments, response templates and the replies made from them

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 15:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # Added in place (no batch): SQLite must not rebuild tables that reports and rules refer to.
    op.add_column('category', sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('category', sa.Column('notice_ja', sa.Text(), nullable=True))
    op.add_column('category', sa.Column('notice_en', sa.Text(), nullable=True))
    op.add_column('jurisdiction', sa.Column('not_taken_ja', sa.Text(), nullable=True))
    op.add_column('jurisdiction', sa.Column('not_taken_en', sa.Text(), nullable=True))
    op.add_column('jurisdiction', sa.Column('translations', sa.JSON(), nullable=True))
    op.add_column('department', sa.Column('phone', sa.String(30), nullable=True))
    op.add_column('department', sa.Column('translations', sa.JSON(), nullable=True))
    op.add_column('response_template', sa.Column('translations', sa.JSON(), nullable=True))
    op.add_column('history_entry', sa.Column('reply_translations', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('history_entry', 'reply_translations')
    op.drop_column('response_template', 'translations')
    op.drop_column('department', 'translations')
    op.drop_column('department', 'phone')
    op.drop_column('jurisdiction', 'translations')
    op.drop_column('jurisdiction', 'not_taken_en')
    op.drop_column('jurisdiction', 'not_taken_ja')
    op.drop_column('category', 'notice_en')
    op.drop_column('category', 'notice_ja')
    op.drop_column('category', 'urgent')
