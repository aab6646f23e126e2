"""jurisdictions keep their county (郡), so a town's address reads 千葉県印旛郡酒々井町

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column is added in place on SQLite and PostgreSQL alike.
    op.add_column('jurisdiction', sa.Column('county_ja', sa.String(20), nullable=True))


def downgrade():
    # SQLite (3.35 and later) drops a column in place, so the tables that refer to
    # jurisdictions are not disturbed by a rebuild.
    op.drop_column('jurisdiction', 'county_ja')
