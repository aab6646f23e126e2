"""Fixtures giving each storage test a real store: a temporary directory or a
bucket on an S3 server (moto) listening on 127.0.0.1."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from service.storage.local import LocalPhotoStore
from service.storage.s3 import S3PhotoStore

REGION = "ap-northeast-1"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3 API on a free port of 127.0.0.1 for the whole test session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str):
    """A plain boto3 client on the same server, for looking behind the store."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key_id"],
        aws_secret_access_key=CREDENTIALS["secret_access_key"],
    )


@pytest.fixture
def make_s3_store(s3_endpoint: str):
    """Build S3 stores on a bucket of their own, so tests never see each other's objects."""

    def make(prefix: str = "", bucket: str | None = None) -> S3PhotoStore:
        return S3PhotoStore(
            bucket=bucket or f"photos-{uuid.uuid4().hex[:12]}",
            endpoint_url=s3_endpoint,
            region=REGION,
            prefix=prefix,
            create_bucket=True,
            **CREDENTIALS,
        )

    return make


@pytest.fixture
def local_store(tmp_path: Path) -> LocalPhotoStore:
    return LocalPhotoStore(tmp_path / "photos")


@pytest.fixture
def s3_store(make_s3_store) -> S3PhotoStore:
    return make_s3_store()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest):
    """Every photo store the project ships, one after the other."""
    return request.getfixturevalue(f"{request.param}_store")


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def red_jpeg() -> bytes:
    return _jpeg((200, 30, 30))


@pytest.fixture(scope="session")
def blue_jpeg() -> bytes:
    return _jpeg((30, 30, 200))
