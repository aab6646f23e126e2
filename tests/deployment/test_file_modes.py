"""The data directory is the service's own: 0700, and the database, its WAL and shared memory,
the generated secret and the photos 0600, for a new install and for one left with looser modes."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from flask_migrate import upgrade

from service import create_app
from service.extensions import db
from service.seed import seed_demo
from tests.conftest import INSIDE, make_jpeg


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def app_in(data_dir: Path):
    # No SECRET_KEY: the app generates one into the data directory.
    return create_app({"DATA_DIR": str(data_dir), "CELERY_BROKER_URL": "memory://localhost/", "LOG_LEVEL": "WARNING",
                       "RATE_LIMITS_ENABLED": False, "EMBEDDED_WORKER": False})


@pytest.fixture()
def loose_umask():
    # The usual umask of a login shell; the modes must not depend on it.
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_new_install_keeps_its_data_directory_and_files_private(tmp_path, loose_umask):
    data_dir = tmp_path / "var"
    app = app_in(data_dir)
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.commit()
        response = app.test_client().post(
            "/api/v1/reports", content_type="multipart/form-data",
            data={"category": "road_damage", "description": "街灯が消えています", "lat": str(INSIDE["lat"]),
                  "lon": str(INSIDE["lon"]), "photos": [(io.BytesIO(make_jpeg()), "IMG_0001.JPG")]},
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        files = {p.relative_to(data_dir).as_posix(): mode(p) for p in data_dir.rglob("*") if p.is_file()}
        db.engine.dispose()

    assert mode(data_dir) == 0o700
    assert {"machikoe.sqlite3", "machikoe.sqlite3-wal", "machikoe.sqlite3-shm", "secret_key"} <= set(files)
    assert any(name.startswith("photos/") for name in files)
    assert {name: m for name, m in files.items() if m != 0o600} == {}


def test_an_existing_install_with_loose_modes_is_tightened_at_start(tmp_path, loose_umask):
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    for name in ("machikoe.sqlite3", "machikoe.sqlite3-wal", "machikoe.sqlite3-shm", "secret_key"):
        (data_dir / name).write_bytes(b"" if name != "secret_key" else b"an-older-secret")
        (data_dir / name).chmod(0o644)
    photos = data_dir / "photos"
    photos.mkdir(mode=0o755)
    photos.chmod(0o755)

    app = app_in(data_dir)

    assert app.config["SECRET_KEY"] == "an-older-secret"
    assert mode(data_dir) == 0o700 and mode(photos) == 0o700
    assert {p.name: mode(p) for p in data_dir.iterdir() if p.is_file()} == {
        "machikoe.sqlite3": 0o600, "machikoe.sqlite3-wal": 0o600, "machikoe.sqlite3-shm": 0o600, "secret_key": 0o600,
    }


def test_a_sqlite_database_outside_the_data_directory_is_private_too(tmp_path, loose_umask):
    database = tmp_path / "elsewhere" / "reports.sqlite3"
    app = create_app({"DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "s",
                      "CELERY_BROKER_URL": "memory://localhost/", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        db.engine.dispose()

    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700
