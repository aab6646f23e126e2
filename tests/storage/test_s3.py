"""What the S3 store adds to the shared contract: content types, privacy,
prefixes, presigned URLs, buckets, path-style addressing."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

KEY = "derivatives/large/abcdef0123456789.jpg"

# Tests talk to 127.0.0.1 only, so no proxy from the environment may intervene.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _fetch(url: str) -> tuple[int, bytes, str | None]:
    try:
        with _DIRECT.open(url, timeout=5) as response:
            return response.status, response.read(), response.headers.get("Content-Type")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), error.headers.get("Content-Type")


def test_content_type_is_kept_on_the_object(s3_store, s3_client, red_jpeg):
    s3_store.put(KEY, red_jpeg, "image/jpeg")

    head = s3_client.head_object(Bucket=s3_store.bucket, Key=KEY)

    assert head["ContentType"] == "image/jpeg"
    assert head["ContentLength"] == len(red_jpeg)


def test_objects_carry_no_public_grant(s3_store, s3_client, red_jpeg):
    s3_store.put(KEY, red_jpeg, "image/jpeg")

    grants = s3_client.get_object_acl(Bucket=s3_store.bucket, Key=KEY)["Grants"]

    public = [g for g in grants if "AllUsers" in g["Grantee"].get("URI", "")]
    assert public == []


def test_presigned_url_is_fetchable_over_http_and_returns_the_bytes(s3_store, red_jpeg):
    s3_store.put(KEY, red_jpeg, "image/jpeg")

    status, body, content_type = _fetch(s3_store.signed_url(KEY, 300))

    assert (status, body, content_type) == (200, red_jpeg, "image/jpeg")


def test_presigned_url_carries_the_requested_expiry(s3_store):
    url = s3_store.signed_url(KEY, 900)

    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["900"]


@pytest.mark.parametrize("expires_in", [0, -5, 7 * 24 * 3600 + 1])
def test_presigned_url_expiry_outside_seven_days_is_refused(s3_store, expires_in):
    with pytest.raises(ValueError):
        s3_store.signed_url(KEY, expires_in)


def test_custom_endpoint_uses_path_style_urls(s3_store, s3_endpoint):
    url = urlsplit(s3_store.signed_url(KEY, 60))

    assert f"{url.scheme}://{url.netloc}" == s3_endpoint
    assert url.path == f"/{s3_store.bucket}/{KEY}"


def test_prefix_is_put_before_every_key(make_s3_store, s3_client, red_jpeg):
    store = make_s3_store(prefix="/city-131016/")

    store.put(KEY, red_jpeg, "image/jpeg")

    listed = s3_client.list_objects_v2(Bucket=store.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"city-131016/{KEY}"]
    assert store.get(KEY) == red_jpeg
    assert store.exists(KEY)
    status, body, _ = _fetch(store.signed_url(KEY, 60))
    assert (status, body) == (200, red_jpeg)


def test_stores_with_different_prefixes_do_not_see_each_other(make_s3_store, red_jpeg):
    first = make_s3_store(prefix="city-a", bucket="shared-photos")
    second = make_s3_store(prefix="city-b", bucket="shared-photos")

    first.put(KEY, red_jpeg, "image/jpeg")

    assert not second.exists(KEY)


def test_unsafe_prefix_is_refused(make_s3_store):
    with pytest.raises(ValueError):
        make_s3_store(prefix="../other")


def test_create_bucket_makes_the_bucket_once(make_s3_store, s3_client):
    make_s3_store(bucket="made-on-demand")
    make_s3_store(bucket="made-on-demand")

    names = [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    assert names.count("made-on-demand") == 1
    location = s3_client.get_bucket_location(Bucket="made-on-demand")
    assert location["LocationConstraint"] == "ap-northeast-1"


def test_presigned_url_names_the_public_endpoint_and_still_fetches(s3_endpoint, s3_store, red_jpeg):
    # Inside a compose network the store is reached as minio:9000; browsers
    # reach it by another name. Here 127.0.0.1 is the inside and localhost the outside.
    from service.storage.s3 import S3PhotoStore

    public = s3_endpoint.replace("127.0.0.1", "localhost")
    store = S3PhotoStore(bucket=s3_store.bucket, endpoint_url=s3_endpoint, public_endpoint_url=public,
                         region="ap-northeast-1", access_key_id="testing", secret_access_key="testing")
    store.put(KEY, red_jpeg, "image/jpeg")

    url = store.signed_url(KEY, 300)

    assert urlsplit(url).netloc == urlsplit(public).netloc
    assert _fetch(url) == (200, red_jpeg, "image/jpeg")
