"""reopens, rating request and current rating kept on the report; covering index for the figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

FIGURE_COLUMNS = ['department_id', 'category_id', 'ward', 'status', 'first_response_at', 'resolved_at',
                  'first_response_due_at', 'resolution_due_at', 'reopen_count', 'rating_requested_at', 'rating_score',
                  'rating_fixed']

# Each statement touches only the reports it has something for; both
# PostgreSQL and SQLite (3.33 and later) read UPDATE ... FROM.
BACKFILL = (
    """UPDATE report SET reopen_count = reopens.n
       FROM (SELECT report_id, count(*) AS n FROM history_entry
             WHERE kind = 'transition' AND from_status = 'resolved' AND to_status = 'in_progress'
             GROUP BY report_id) AS reopens
       WHERE reopens.report_id = report.id""",
    """UPDATE report SET rating_requested_at = asked.first_at
       FROM (SELECT report_id, min(created_at) AS first_at FROM outbox_event
             WHERE event_type = 'report.rating_requested' GROUP BY report_id) AS asked
       WHERE asked.report_id = report.id""",
    # A report has at most one current rating; should there be more, the latest counts.
    """UPDATE report SET rating_score = latest.score, rating_fixed = latest.fixed
       FROM (SELECT report_id, score, fixed FROM rating
             WHERE id IN (SELECT max(r.id) FROM rating r WHERE r.current GROUP BY r.report_id)) AS latest
       WHERE latest.report_id = report.id""",
)


def backfill(connection: sa.Connection) -> None:
    """Set the kept columns of existing reports from their history, outbox events and ratings."""
    for statement in BACKFILL:
        connection.execute(sa.text(statement))


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('rating_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rating_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rating_fixed', sa.Boolean(), nullable=True))
    backfill(op.get_bind())
    # Built after the backfill, so the updates do not have to maintain it.
    op.create_index('ix_report_figures', 'report', ['jurisdiction_id', 'created_at'],
                    postgresql_include=FIGURE_COLUMNS)


def downgrade():
    op.drop_index('ix_report_figures', table_name='report')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('rating_fixed')
        batch_op.drop_column('rating_score')
        batch_op.drop_column('rating_requested_at')
        batch_op.drop_column('reopen_count')
