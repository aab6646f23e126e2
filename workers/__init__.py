"""Background work: the Celery app and its tasks.

``celery -A workers worker`` and ``celery -A workers beat`` find the Celery
app through the module attribute below, which builds the Flask app on first
use, so importing this package has no side effects.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("app", "celery"):
        from service import create_app

        return create_app().extensions["celery"]
    raise AttributeError(name)
