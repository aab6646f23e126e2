"""The interface every photo store implements.

Keys are slash-separated relative paths such as ``originals/ab/abcdef....jpg``.
Private objects (originals) and public objects (derivatives) live in one store;
whether an object may be served publicly is decided by the caller, never by the
store.
"""

from __future__ import annotations

from typing import Protocol


class ObjectNotFound(KeyError):
    """Raised by :meth:`PhotoStore.get` when no object has the key."""


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``; writing the same key again replaces it."""

    def get(self, key: str) -> bytes:
        """Return the object's bytes; raise :class:`ObjectNotFound` when absent."""

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under ``key``."""

    def delete(self, key: str) -> None:
        """Remove the object; removing an absent key is not an error."""

    def signed_url(self, key: str, expires_in: int) -> str | None:
        """A time-limited URL a client can fetch directly, or None when the
        store cannot make one (the API then serves the bytes itself)."""
