"""E-mail to residents: the reporter's opt-in and language, and deliveries to a reporter or a follower

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # Added in place (no batch): SQLite must not rebuild the report table, which many tables refer to.
    op.add_column('report', sa.Column('reporter_email_updates', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('report', sa.Column('reporter_language', sa.String(10), nullable=True))
    with op.batch_alter_table('delivery') as batch:
        batch.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('recipient', sa.String(20), nullable=True))
        batch.add_column(sa.Column('follower_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sealed', sa.Text(), nullable=True))
        batch.create_foreign_key('fk_delivery_follower', 'report_follower', ['follower_id'], ['id'], ondelete='CASCADE')
        batch.create_unique_constraint('uq_delivery_event_follower', ['outbox_event_id', 'follower_id'])
    op.create_index('uq_delivery_event_reporter', 'delivery', ['outbox_event_id'], unique=True,
                    sqlite_where=sa.text("recipient = 'reporter'"), postgresql_where=sa.text("recipient = 'reporter'"))


def downgrade():
    op.drop_index('uq_delivery_event_reporter', table_name='delivery')
    op.execute("DELETE FROM delivery WHERE subscriber_id IS NULL")
    with op.batch_alter_table('delivery') as batch:
        batch.drop_constraint('uq_delivery_event_follower', type_='unique')
        batch.drop_constraint('fk_delivery_follower', type_='foreignkey')
        batch.drop_column('sealed')
        batch.drop_column('follower_id')
        batch.drop_column('recipient')
        batch.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=False)
    op.drop_column('report', 'reporter_language')
    op.drop_column('report', 'reporter_email_updates')
