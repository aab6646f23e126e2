"""Fixtures: an app on SQLite and on PostgreSQL, migrated once per session,
with every table emptied and the demo re-seeded before each test."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import text

from service import create_app
from service.extensions import db
from service.seed import seed_demo
from tests import services

# A point inside the demo city's 中央区, and one in Tokyo Bay outside it.
INSIDE = {"lat": 35.650, "lon": 139.780}
OUTSIDE = {"lat": 35.300, "lon": 139.600}


def _database_url(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'machikoe.sqlite3'}"
    return services.postgres_url()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def base_app(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp(f"app-{database_kind}")
    app = create_app(
        {
            "DATA_DIR": str(tmp),
            "DATABASE_URL": _database_url(database_kind, tmp),
            "SECRET_KEY": "test-secret",
            "CELERY_BROKER_URL": "memory://localhost/",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMITS_ENABLED": False,
        }
    )
    app.config["TESTING"] = True
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        if database_kind == "postgresql":
            downgrade(revision="base")
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture()
def app(base_app: Flask) -> Iterator[Flask]:
    with base_app.app_context():
        empty_tables()
        seed_demo(db.session)
        db.session.remove()
    with base_app.app_context():
        yield base_app
        db.session.remove()


class FixedClock:
    """A clock that stands still at ``instant`` until a test moves it."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant


@pytest.fixture()
def fixed_clock(app: Flask) -> Iterator[FixedClock]:
    """The app's clock, fixed at the middle of a month in Tokyo; restored afterwards."""
    before = app.extensions["clock"]
    clock = FixedClock(datetime(2025, 6, 15, 3, 0, tzinfo=UTC))
    app.extensions["clock"] = clock
    yield clock
    app.extensions["clock"] = before


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask):
    return app.test_cli_runner()


def make_jpeg(size: tuple[int, int] = (640, 480), color: tuple[int, int, int] = (180, 40, 40), **save: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=85, **save)
    return buf.getvalue()


def make_png(size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 200, 128)).save(buf, "PNG")
    return buf.getvalue()


def make_heic(size: tuple[int, int] = (320, 240)) -> bytes:
    import service.photos  # noqa: F401  (registers HEIF)

    buf = io.BytesIO()
    Image.new("RGB", size, (30, 160, 60)).save(buf, "HEIF", quality=70)
    return buf.getvalue()
