"""Open311 GeoReport v2: what its documents say, and how they are written in JSON and XML.

Nothing here knows Flask; :class:`Open311Error` is what every part raises for
a request the client must change, and the HTTP layer renders it.
"""

from __future__ import annotations


class Open311Error(Exception):
    """A request refused in Open311's terms: an HTTP status and a description for the client."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
