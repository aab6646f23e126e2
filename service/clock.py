"""The app's clock: the one "now" that request handlers hand to the domain.

The domain takes ``now`` as an argument; handlers read it here, so a test (or
a drill) can run the app at a fixed instant by passing ``CLOCK`` in its
settings, a callable that returns an aware datetime.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app

from service.models.types import utcnow

Clock = Callable[[], datetime]


def init_clock(app: Flask, clock: Clock | None) -> None:
    app.extensions["clock"] = clock or utcnow


def now() -> datetime:
    """The current instant for this app, in UTC."""
    clock: Clock = current_app.extensions.get("clock", utcnow)
    return clock()
