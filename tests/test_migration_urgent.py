"""Migration 0026 (urgent categories, translated departments and templates) keeps every row both ways."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from service import create_app
from service.extensions import db
from service.models import Category, Department
from service.seed import seed_demo


def test_the_urgent_migration_goes_down_and_up_keeping_categories_and_departments(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        before = ({c.code for c in db.session.scalars(select(Category))}, {d.code for d in db.session.scalars(select(Department))})
        db.session.remove()
        downgrade(revision="0025")
        upgrade()
        categories = list(db.session.scalars(select(Category)))
        assert ({c.code for c in categories}, {d.code for d in db.session.scalars(select(Department))}) == before
        # Rows written before the upgrade are not urgent and have no notice.
        assert all(c.urgent is False and c.notice_ja is None for c in categories)
        db.session.remove()
        db.engine.dispose()
