"""The app factory and settings."""

from __future__ import annotations

import pytest

from config.settings import derive_settings, load_settings
from service import create_app


def test_factory_uses_sqlite_and_local_photos_in_the_data_dir_by_default(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'machikoe.sqlite3'}"
    assert app.config["PHOTO_DIR"] == str(tmp_path / "photos")
    assert app.config["CELERY"]["broker_url"] == "memory://localhost/" and app.config["EMBEDDED_WORKER"] is True
    assert (tmp_path / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert create_app({"DATA_DIR": str(tmp_path)}).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_switches_to_postgresql_and_redis(tmp_path):
    values = derive_settings(load_settings({"MACHIKOE_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u@db/machikoe",
                                            "REDIS_URL": "redis://cache:6379/0"}))
    assert values["DATABASE_URL"] == "postgresql+psycopg://u@db/machikoe"
    assert values["CELERY_BROKER_URL"] == "redis://cache:6379/0" and values["EMBEDDED_WORKER"] is False


def test_unreadable_setting_names_its_variable():
    with pytest.raises(ValueError, match="MACHIKOE_MAX_PHOTOS"):
        load_settings({"MACHIKOE_MAX_PHOTOS": "five"})
