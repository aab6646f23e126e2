"""Stored public copies of masked text, and retention days per jurisdiction

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0019'
branch_labels = None
depends_on = None

# Rows are masked in batches, so a large table is never read whole into memory.
BATCH = 500


def upgrade():
    op.add_column('jurisdiction', sa.Column('retention_days', sa.Integer(), nullable=True))
    op.add_column('report', sa.Column('description_public', sa.Text(), nullable=True))
    op.add_column('history_entry', sa.Column('public_reply_public', sa.Text(), nullable=True))
    _backfill('report', 'description', 'description_public')
    _backfill('history_entry', 'public_reply', 'public_reply_public')


def _backfill(table_name, original, public):
    # The masker of this release masks every row written before the copy existed;
    # the same function the models call on each write, so both agree.
    from service.privacy.stored_masks import masked

    table = sa.table(table_name, sa.column('id', sa.Integer()), sa.column(original, sa.Text()), sa.column(public, sa.Text()))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c[original]).where(table.c.id > last, table.c[original].isnot(None))
            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(table.update().where(table.c.id == sa.bindparam('row_id')).values({public: sa.bindparam('text')}),
                           [{'row_id': row_id, 'text': masked(text)} for row_id, text in rows])
        last = rows[-1][0]


def downgrade():
    # SQLite (3.35 and later) drops a column in place, so the tables that refer to
    # these are not disturbed by a rebuild.
    op.drop_column('history_entry', 'public_reply_public')
    op.drop_column('report', 'description_public')
    op.drop_column('jurisdiction', 'retention_days')
