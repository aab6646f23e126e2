"""Fixtures: `machikoe serve`, and nginx in front of gunicorn, each started once for these tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deployment.servers import EmbeddedServer, GunicornServer, NginxProxy


@pytest.fixture(scope="session")
def deployment_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="machikoe-deployment-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def embedded(deployment_root: Path) -> Iterator[EmbeddedServer]:
    """`machikoe serve` as the README starts it; its event dispatch runs twice a second, so idle runs pile up fast."""
    root = deployment_root / "embedded"
    root.mkdir()
    server = EmbeddedServer(root, MACHIKOE_NOTIFY_DISPATCH_INTERVAL_SECONDS="0.5")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gunicorn(deployment_root: Path) -> Iterator[GunicornServer]:
    root = deployment_root / "gunicorn"
    root.mkdir()
    server = GunicornServer(root)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nginx(gunicorn: GunicornServer) -> Iterator[NginxProxy]:
    proxy = NginxProxy(gunicorn.port)
    yield proxy
    proxy.stop()
