"""what each LINE push carried and to whom; the masking rules' version of each stored mask

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 19:30:00

A LINE push is a delivery; it now names the LINE user it went to and the
text it carried, so a person's export (開示) lists the pushes made to them
and their erasure and the retention purge clear them.

Each stored public copy (report.description_public,
history_entry.public_reply_public) records the version of the masking rules
it was made under. Copies made before this revision have none, so they count
as made under older rules and are made again by `machikoe privacy remask` or
the privacy job (service/privacy/remasking.py), in batches, rather than here,
so the migration does not hold a large table. On PostgreSQL the indexes are
built CONCURRENTLY, outside the migration's transaction.
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

VERSIONED = ('report', 'history_entry')


def upgrade():
    with op.batch_alter_table('delivery') as batch:
        batch.add_column(sa.Column('line_user_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sent_text', sa.Text(), nullable=True))
        batch.create_foreign_key('fk_delivery_line_user', 'line_user', ['line_user_id'], ['id'], ondelete='SET NULL')
    for table in VERSIONED:
        op.add_column(table, sa.Column('mask_version', sa.SmallInteger(), nullable=True))
    _indexes(create=True)


def _indexes(create):
    names = [('ix_delivery_line_user_id', 'delivery', 'line_user_id')] + [
        (f'ix_{table}_mask_version', table, 'mask_version') for table in VERSIONED]
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name, table, column in names:
        if postgresql:
            with op.get_context().autocommit_block():
                if create:
                    op.create_index(name, table, [column], postgresql_concurrently=True, if_not_exists=True)
                else:
                    op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
        elif create:
            op.create_index(name, table, [column])
        else:
            op.drop_index(name, table_name=table)


def downgrade():
    _indexes(create=False)
    for table in VERSIONED:
        op.drop_column(table, 'mask_version')
    with op.batch_alter_table('delivery') as batch:
        batch.drop_constraint('fk_delivery_line_user', type_='foreignkey')
        batch.drop_column('sent_text')
        batch.drop_column('line_user_id')
