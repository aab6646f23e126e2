"""Migrations build the schema the models describe, from an empty database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, update

from service import create_app
from service.extensions import db
from service.models import Category, Report
from service.seed import seed_demo
from tests import services


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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_idempotency_keys_stored_before_scoping_are_released_and_make_new_reports(tmp_path, kind):
    database = {"DATABASE_URL": services.postgres_url("idempotency", fresh=True)} if kind == "postgresql" else {}
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "SECRET_KEY": "s", "RATE_LIMITS_ENABLED": False,
                      "CELERY_BROKER_URL": "memory://localhost/", **database})
    client = app.test_client()
    body = {"category": "road_damage", "description": "歩道に穴があいています", "lat": 35.650, "lon": 139.780}
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.remove()
        first = client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": "legacy-1"})
        assert first.status_code == 201
        # As the code before scoping stored it: the raw key, global.
        db.session.execute(update(Report).values(idempotency_key="legacy-1"))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0009")
        upgrade()
        assert db.session.scalar(select(Report.idempotency_key)) is None
        again = client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": "legacy-1"})
        assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
        assert first.get_json()["tracking_token"] not in again.get_data(as_text=True)
        own = client.get(first.headers["Location"], headers={"X-Tracking-Token": first.get_json()["tracking_token"]})
        assert own.status_code == 200
        db.session.remove()
        db.engine.dispose()
