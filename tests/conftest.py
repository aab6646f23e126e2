"""Fixtures: an app on SQLite and on PostgreSQL, migrated once per session,
with every table emptied and the demo re-seeded before each test.

The run is spread over parallel worker processes (pytest-xdist) unless ``-n``
says otherwise; each worker has its own databases (tests/services.py), and the
tests sharing servers that are costly to start run on one worker together.
"""

from __future__ import annotations

import io
import os
import shutil
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

# Workers of a run without -n: the suite waits on processes and servers of its
# own more than it computes, so more workers than cores pay off (see
# docs/benchmarks.md). PYTEST_XDIST_AUTO_NUM_WORKERS sets another number.
DEFAULT_WORKERS = 4

# Directories whose tests share session servers that are costly to start (nginx,
# gunicorn, a private PostgreSQL cluster): each runs on a single worker.
GROUPED_DIRECTORIES = ("deployment", "faults")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run in parallel by default: ``-n`` as given, else ``-n auto`` with tests grouped by ``xdist_group``."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.option.numprocesses is None and not config.option.collectonly and not config.option.usepdb:
        config.option.numprocesses = "auto"
    if config.option.dist == "no" and config.option.numprocesses:
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    return int(os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or DEFAULT_WORKERS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests of GROUPED_DIRECTORIES; run ``engine_independent`` tests on SQLite only.

    Browser tests drive pages, whose engine the API tests cover on both: they run
    on SQLite only, all on one worker, so that the run starts one Chromium.
    """
    tests = Path(__file__).parent
    kept, deselected = [], []
    for item in items:
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        browser = item.get_closest_marker("browser") is not None
        if not item.get_closest_marker("xdist_group"):
            if parts and parts[0] in GROUPED_DIRECTORIES:
                item.add_marker(pytest.mark.xdist_group(parts[0]))
            elif browser:
                item.add_marker(pytest.mark.xdist_group("browser"))
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("database_kind") == "postgresql"
        one_engine = browser or item.get_closest_marker("engine_independent") is not None
        (deselected if on_postgresql and one_engine else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


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
            # argon2id in 1 MiB instead of 64: a hash takes milliseconds, not 0.2 s of each sign-in a test makes.
            "STAFF_PASSWORD_HASH_MEMORY_KIB": 1024,
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


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with every migration applied, made once per worker for tests to copy."""
    tmp = tmp_path_factory.mktemp("migrated-sqlite")
    app = create_app({"DATA_DIR": str(tmp), "SECRET_KEY": "test-secret", "LOG_LEVEL": "WARNING",
                      "CELERY_BROKER_URL": "memory://localhost/"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))


@pytest.fixture()
def migrated_data_dir(tmp_path: Path, migrated_sqlite_file: Path) -> Path:
    """``tmp_path`` as a data directory whose default SQLite database is migrated already.

    Migrating a new SQLite database takes a second of disk writes; a copy takes
    milliseconds. ``upgrade()`` on it finds nothing to do.
    """
    shutil.copyfile(migrated_sqlite_file, tmp_path / migrated_sqlite_file.name)
    return tmp_path


def empty_tables() -> None:
    # DELETE, dependents first, rather than PostgreSQL's TRUNCATE: a test leaves
    # a few rows, and TRUNCATE gives every table new files, which took most of a
    # second per test where DELETE takes a few milliseconds.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        # Ids start at 1 again, as on a new database (SQLite's rowids do by themselves).
        db.session.execute(text("SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace"
                                " WHERE s.relkind = 'S' AND n.nspname = current_schema()"))
    db.session.commit()


@pytest.fixture()
def app(base_app: Flask) -> Iterator[Flask]:
    """The worker's app on freshly seeded tables; a setting a test changes is put back after it."""
    settings = dict(base_app.config)
    with base_app.app_context():
        empty_tables()
        seed_demo(db.session)
        db.session.remove()
    with base_app.app_context():
        yield base_app
        db.session.remove()
    base_app.config.clear()
    base_app.config.update(settings)


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
