"""Choosing the photo store from settings."""

from __future__ import annotations

import pytest

from service.storage.factory import photo_store_from_settings
from service.storage.local import LocalPhotoStore
from service.storage.s3 import S3PhotoStore


def test_local_store_is_the_default(tmp_path):
    store = photo_store_from_settings({"PHOTO_DIR": str(tmp_path)})

    assert isinstance(store, LocalPhotoStore)
    assert store.root == tmp_path.resolve()


def test_backend_name_ignores_case_and_spaces(tmp_path):
    store = photo_store_from_settings({"PHOTO_STORAGE": " Local ", "PHOTO_DIR": tmp_path})

    assert isinstance(store, LocalPhotoStore)


def test_local_store_without_photo_dir_is_refused():
    with pytest.raises(ValueError, match="PHOTO_DIR"):
        photo_store_from_settings({"PHOTO_STORAGE": "local"})


def test_s3_store_reads_every_s3_setting(s3_endpoint, s3_client, red_jpeg):
    store = photo_store_from_settings(
        {
            "PHOTO_STORAGE": "s3",
            "S3_BUCKET": "from-settings",
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": "ap-northeast-1",
            "S3_ACCESS_KEY_ID": "testing",
            "S3_SECRET_ACCESS_KEY": "testing",
            "S3_PREFIX": "city-271004",
            "S3_CREATE_BUCKET": "true",
        }
    )

    store.put("originals/ab/x.jpg", red_jpeg, "image/jpeg")

    assert isinstance(store, S3PhotoStore)
    body = s3_client.get_object(Bucket="from-settings", Key="city-271004/originals/ab/x.jpg")
    assert body["Body"].read() == red_jpeg


def test_s3_store_without_bucket_is_refused():
    with pytest.raises(ValueError, match="S3_BUCKET"):
        photo_store_from_settings({"PHOTO_STORAGE": "s3", "S3_BUCKET": ""})


def test_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown PHOTO_STORAGE 'ftp'.*local, s3"):
        photo_store_from_settings({"PHOTO_STORAGE": "ftp"})
