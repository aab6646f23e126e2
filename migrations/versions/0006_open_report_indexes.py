"""partial indexes for open reports, newest first

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 14:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('received', 'acknowledged', 'in_progress')")


def upgrade():
    op.create_index('ix_report_open_department_created', 'report',
                    ['jurisdiction_id', 'department_id', 'created_at', 'id'],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_report_open_jurisdiction_created', 'report',
                    ['jurisdiction_id', 'created_at', 'id'],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade():
    op.drop_index('ix_report_open_jurisdiction_created', table_name='report')
    op.drop_index('ix_report_open_department_created', table_name='report')
