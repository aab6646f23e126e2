"""reports name the staff member working on them (the console's inbox filters by it)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'assignment',
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_assignment_report_id_report'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_assignment_staff_id_staff'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('report_id', name=op.f('pk_assignment')),
    )
    op.create_index(op.f('ix_assignment_staff_id'), 'assignment', ['staff_id'])


def downgrade():
    op.drop_index(op.f('ix_assignment_staff_id'), table_name='assignment')
    op.drop_table('assignment')
