"""Photos processed before regions existed stay public, sharp, after the regions migration."""

from __future__ import annotations

import io

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from service import create_app
from service.extensions import db
from service.models import Photo, Report
from service.pipeline import pipeline_for
from service.seed import seed_demo
from tests import services
from tests.conftest import make_jpeg
from tests.worker import processed_by_worker


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_photos_made_before_regions_keep_their_public_derivatives(tmp_path, kind):
    database = {"DATABASE_URL": services.postgres_url("regions", fresh=True)} if kind == "postgresql" else {}
    app = create_app({"DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", "SECRET_KEY": "s", "RATE_LIMITS_ENABLED": False,
                      "CELERY_BROKER_URL": "memory://localhost/", "PHOTO_DETECTION": False, **database})
    client = app.test_client()
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.remove()
        created = client.post("/api/v1/reports", data={"category": "road_damage", "description": "歩道に穴", "lat": "35.65",
                                                        "lon": "139.78", "photos": [(io.BytesIO(make_jpeg()), "a.jpg")]},
                              content_type="multipart/form-data").get_json()
        processed_by_worker(db.session, db.session.scalar(select(Report.id)), pipeline_for(app))
        db.session.remove()
        downgrade(revision="0018")
        upgrade()
        photo = db.session.scalars(select(Photo)).one()
        assert (photo.public_large_key, photo.public_thumb_key, photo.regions_version) == (photo.large_key, photo.thumb_key, 0)
        shown = client.get(f"/api/v1/reports/{created['id']}").get_json()
        assert client.get(shown["photos"][0]["large_url"]).status_code == 200
        db.session.remove()
        db.engine.dispose()
