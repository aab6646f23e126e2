"""A photo store in a directory on the local disk, and the key rules all stores share."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from service.storage.base import ObjectNotFound

# S3 refuses keys longer than 1024 bytes; holding the local store to the same
# limit keeps a key that works on one backend working on the other.
MAX_KEY_BYTES = 1024


def validate_key(key: str) -> str:
    """Return ``key`` unchanged when it is a safe relative slash path.

    Raises :class:`ValueError` when the key is not a string, is empty or too
    long, is absolute, contains ``..``, a backslash or a NUL character, or has
    an empty or ``.`` segment. Such keys could escape the store's root or name
    the same object in two ways, so every store refuses them alike.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("a photo key must be a non-empty string")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ValueError(f"photo key is longer than {MAX_KEY_BYTES} bytes")
    if key.startswith("/"):
        raise ValueError(f"photo key must be relative, not absolute: {key!r}")
    if ".." in key:
        raise ValueError(f"photo key must not contain '..': {key!r}")
    if "\\" in key or "\x00" in key:
        raise ValueError(f"photo key must not contain a backslash or NUL: {key!r}")
    if any(segment in ("", ".") for segment in key.split("/")):
        raise ValueError(f"photo key has an empty or '.' segment: {key!r}")
    return key


class LocalPhotoStore:
    """Keeps each object as a file under ``root``, at the path named by its key.

    The store makes no signed URLs: the API reads the file (see
    :meth:`path_for`) and serves the bytes itself. Files are created readable
    by the owner only, because originals may carry a resident's location.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).resolve()

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, key: str) -> Path:
        """Return the file path for ``key``, whether or not the file exists.

        Raises :class:`ValueError` for an unsafe key (see :func:`validate_key`)
        or when a symbolic link inside the root would lead the path outside it.
        """
        path = self._root.joinpath(*validate_key(key).split("/"))
        if not path.resolve().is_relative_to(self._root):
            raise ValueError(f"photo key leads outside the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write ``data`` atomically; readers see the old file or the new one.

        The content type is not kept: whoever serves the file derives it from
        the key's extension. Raises :class:`ValueError` for an unsafe key and
        :class:`OSError` when the disk refuses the write, in which case any
        earlier object under the key is left untouched.
        """
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temporary file lives in the target directory so that os.replace
        # is a rename within one file system, which is atomic.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self._fsync_directory(path.parent)

    def get(self, key: str) -> bytes:
        """Return the file's bytes.

        Raises :class:`ObjectNotFound` when no file has the key and
        :class:`ValueError` for an unsafe key.
        """
        try:
            return self.path_for(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        """Tell whether a file has the key; raises :class:`ValueError` for an unsafe key."""
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file if present; raises :class:`ValueError` for an unsafe key."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self.path_for(key).unlink()

    def signed_url(self, key: str, expires_in: int) -> None:
        """Return None, since a disk has no URLs; raises :class:`ValueError` for an unsafe key."""
        validate_key(key)
        return None

    @staticmethod
    def _fsync_directory(directory: Path) -> None:
        # Syncing the directory makes the rename itself durable, so a power
        # cut right after put() cannot bring back the previous file.
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
