"""reports name the staff member working on them, staff reply from response templates (定型文), and lists count duplicates by an index

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # The staff list counts, for each row, the reports merged into it.
    op.create_index(op.f('ix_report_duplicate_of_id'), 'report', ['duplicate_of_id'])
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
    op.create_table(
        'response_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(20), nullable=True),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('body_ja', sa.Text(), nullable=False),
        sa.Column('body_en', sa.Text(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_response_template_jurisdiction_id_jurisdiction')),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_response_template_category_id_category'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_template')),
    )
    op.create_index(op.f('ix_response_template_jurisdiction_id'), 'response_template', ['jurisdiction_id'])


def downgrade():
    op.drop_index(op.f('ix_report_duplicate_of_id'), table_name='report')
    op.drop_index(op.f('ix_response_template_jurisdiction_id'), table_name='response_template')
    op.drop_table('response_template')
    op.drop_index(op.f('ix_assignment_staff_id'), table_name='assignment')
    op.drop_table('assignment')
