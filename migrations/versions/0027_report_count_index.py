"""an index that counts a department's reports per status from the index alone

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 16:00:00

The inbox counts a department's reports of each status. The department index
(department_id, status, created_at) lacks the jurisdiction the scope also
names, so every open report was read from the table; this one holds all
three. On PostgreSQL it is built CONCURRENTLY, outside the migration's
transaction, so a live report table keeps taking writes while it is built.
"""
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

NAME = 'ix_report_scope_status'
COLUMNS = ['jurisdiction_id', 'department_id', 'status']


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'report', COLUMNS, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(NAME, 'report', COLUMNS)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='report', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name='report')
