"""Choose and build the photo store named by the settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.storage.base import PhotoStore
from service.storage.local import LocalPhotoStore

BACKENDS = ("local", "s3")


def _text(settings: Mapping[str, Any], name: str) -> str | None:
    # Environment variables are often set but left empty in compose files;
    # an empty value means "not set" rather than an empty name.
    value = settings.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _flag(settings: Mapping[str, Any], name: str) -> bool:
    value = settings.get(name, False)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def photo_store_from_settings(settings: Mapping[str, Any]) -> PhotoStore:
    """Build the store that ``PHOTO_STORAGE`` names: ``local`` (the default) or ``s3``.

    ``local`` reads ``PHOTO_DIR``. ``s3`` reads ``S3_BUCKET``,
    ``S3_ENDPOINT_URL``, ``S3_PUBLIC_ENDPOINT_URL``, ``S3_REGION``, ``S3_ACCESS_KEY_ID``,
    ``S3_SECRET_ACCESS_KEY``, ``S3_PREFIX`` and ``S3_CREATE_BUCKET``.
    Raises :class:`ValueError` for an unknown backend or a missing
    ``PHOTO_DIR`` or ``S3_BUCKET``.
    """
    backend = (_text(settings, "PHOTO_STORAGE") or "local").lower()
    if backend == "local":
        root = _text(settings, "PHOTO_DIR")
        if root is None:
            raise ValueError("PHOTO_STORAGE=local needs PHOTO_DIR, the directory for photos")
        return LocalPhotoStore(root)
    if backend == "s3":
        bucket = _text(settings, "S3_BUCKET")
        if bucket is None:
            raise ValueError("PHOTO_STORAGE=s3 needs S3_BUCKET, the bucket for photos")
        # boto3 takes a few tenths of a second to import: only a process that stores in S3 pays it.
        from service.storage.s3 import S3PhotoStore

        return S3PhotoStore(
            bucket=bucket,
            endpoint_url=_text(settings, "S3_ENDPOINT_URL"),
            public_endpoint_url=_text(settings, "S3_PUBLIC_ENDPOINT_URL"),
            region=_text(settings, "S3_REGION") or "ap-northeast-1",
            access_key_id=_text(settings, "S3_ACCESS_KEY_ID"),
            secret_access_key=_text(settings, "S3_SECRET_ACCESS_KEY"),
            prefix=_text(settings, "S3_PREFIX") or "",
            create_bucket=_flag(settings, "S3_CREATE_BUCKET"),
        )
    raise ValueError(
        f"unknown PHOTO_STORAGE {backend!r}; choose one of: {', '.join(BACKENDS)}"
    )
