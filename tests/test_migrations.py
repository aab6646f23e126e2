"""Migrations build the schema the models describe, from an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from service import create_app
from service.extensions import db
from service.models import Category
from service.seed import seed_demo


def test_upgrade_from_empty_creates_every_table(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_models_and_migrations_agree(app):
    # Runs on SQLite and PostgreSQL: a model change without a migration fails here.
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_categories_in_use_keep_their_rows_through_the_updated_at_migration(tmp_path):
    # SQLite must not rebuild the category table: reports and rules refer to it.
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        before = {(c.code, c.resolution_days) for c in db.session.scalars(select(Category))}
        db.session.remove()
        downgrade(revision="0008")
        upgrade()
        categories = list(db.session.scalars(select(Category)))
        after = {(c.code, c.resolution_days) for c in categories}
        assert after == before and len(after) > 0
        assert all(c.updated_at is not None for c in categories)
        db.session.remove()
        db.engine.dispose()
