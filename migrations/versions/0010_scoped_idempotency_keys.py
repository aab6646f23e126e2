"""idempotency keys are scoped to their sender: keys stored before are released

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A report now stores an HMAC of its sender's scope and its key (see
    # service/domain/idempotency.py), and the unique column holds those. The
    # keys stored before were global and their sender is not known, so they
    # can never be matched again: they are released, and the same key sent
    # again makes a report of its own. No table is rebuilt on SQLite.
    report = sa.table('report', sa.column('idempotency_key', sa.String(255)))
    op.execute(report.update().where(report.c.idempotency_key.isnot(None)).values(idempotency_key=None))


def downgrade():
    # The released keys cannot be brought back, and scoped keys are unique
    # already, so the schema before this revision holds them as they are.
    pass
