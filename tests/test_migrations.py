"""Migrations build the schema the models describe, from an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from service import create_app
from service.extensions import db


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
