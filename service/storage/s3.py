"""A photo store in an S3-compatible bucket (AWS S3, MinIO and others)."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from service.storage.base import ObjectNotFound
from service.storage.local import validate_key

# A SigV4 presigned URL cannot live longer than seven days.
MAX_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60

_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _is_not_found(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _NOT_FOUND_CODES or status == 404


class S3PhotoStore:
    """Keeps each object in ``bucket`` under ``prefix`` followed by its key.

    Objects are written without an ACL, so they stay as private as the bucket
    is; clients reach them only through :meth:`signed_url` or the API. Errors
    other than a missing object come out as :class:`botocore.exceptions.ClientError`
    (refused by the server) or :class:`botocore.exceptions.BotoCoreError`
    (no connection, timeout, no credentials) after the configured retries.
    """

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        region: str = "ap-northeast-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        create_bucket: bool = False,
    ) -> None:
        """Build the client; with ``create_bucket`` also make the bucket if missing.

        ``public_endpoint_url`` is the store as browsers reach it, when that
        differs from ``endpoint_url`` (inside a compose network, say); presigned
        URLs name it, since a signature covers the host. Raises
        :class:`ValueError` for an empty bucket name or an unsafe prefix.
        Without explicit keys, boto3's usual credential chain applies (its
        environment variables, config files, instance or task roles).
        """
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        self._bucket = bucket
        self._region = region
        # Slashes around the prefix are forgiven so "photos", "/photos/" and
        # "photos/" all name the same folder in the bucket.
        trimmed = prefix.strip("/")
        self._prefix = validate_key(trimmed) + "/" if trimmed else ""
        config = Config(
            region_name=region,
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 4},
            # MinIO and most self-hosted stores cannot route virtual-host
            # names such as bucket.localhost, so a custom endpoint gets paths.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        # A session of its own keeps this store independent of boto3's global
        # default session, which is not safe to share between threads.
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        self._client = session.client("s3", endpoint_url=endpoint_url, config=config)
        # Presigning is computed locally, so this client never opens a connection.
        self._signing_client = (session.client("s3", endpoint_url=public_endpoint_url, config=config)
                                if public_endpoint_url else self._client)
        if create_bucket:
            self.ensure_bucket()

    @property
    def bucket(self) -> str:
        return self._bucket

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists already and belongs to these credentials."""
        try:
            self._client.head_bucket(Bucket=self._bucket)
            return
        except ClientError as error:
            if not _is_not_found(error):
                raise
        params: dict[str, object] = {"Bucket": self._bucket}
        # us-east-1 is the one region that refuses an explicit location.
        if self._region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self._client.create_bucket(**params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise

    def object_key(self, key: str) -> str:
        """Return the full object name in the bucket; raises :class:`ValueError` for an unsafe key."""
        return self._prefix + validate_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload ``data`` with its content type, replacing any object under the key.

        S3 makes a single PUT atomic: readers see the old object or the new one.
        Raises :class:`ValueError` for an unsafe key.
        """
        self._client.put_object(
            Bucket=self._bucket,
            Key=self.object_key(key),
            Body=data,
            ContentType=content_type,
        )

    def get(self, key: str) -> bytes:
        """Download the object's bytes.

        Raises :class:`ObjectNotFound` when absent and :class:`ValueError` for
        an unsafe key.
        """
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_not_found(error):
                raise ObjectNotFound(key) from None
            raise
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        """Tell whether the object exists; raises :class:`ValueError` for an unsafe key."""
        try:
            self._client.head_object(Bucket=self._bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_not_found(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove the object; S3 answers a delete of an absent key with success.

        Raises :class:`ValueError` for an unsafe key.
        """
        self._client.delete_object(Bucket=self._bucket, Key=self.object_key(key))

    def signed_url(self, key: str, expires_in: int) -> str:
        """Return a presigned GET URL valid for ``expires_in`` seconds.

        The URL is computed locally, without a request, and does not check
        that the object exists. Raises :class:`ValueError` for an unsafe key or
        an expiry outside 1 second to 7 days.
        """
        if not 1 <= expires_in <= MAX_SIGNED_URL_SECONDS:
            raise ValueError(
                f"expires_in must be between 1 and {MAX_SIGNED_URL_SECONDS} seconds, "
                f"not {expires_in}"
            )
        return self._signing_client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": self.object_key(key)},
            ExpiresIn=expires_in,
        )
