"""Storing webhook events once: a redelivery of one already kept changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import LineEvent

MAX_EVENTS = 100


def store(session: Session, jurisdiction_id: int, events: list[Any]) -> list[int]:
    """Keep each event with a ``webhookEventId`` not kept before; return the new rows' ids in order."""
    wanted = [e for e in events[:MAX_EVENTS] if isinstance(e, dict) and isinstance(e.get("webhookEventId"), str)]
    ids = [e["webhookEventId"][:64] for e in wanted]
    # Redeliveries are rare: they are not looked for first, but found when the unique index refuses them.
    known: set[str] = set()
    rows = []
    for event, event_id in zip(wanted, ids, strict=True):
        if event_id in known:
            continue
        known.add(event_id)
        rows.append(LineEvent(jurisdiction_id=jurisdiction_id, webhook_event_id=event_id, body=event, state="pending", attempts=0))
    if not rows:
        return []
    session.add_all(rows)
    try:
        session.commit()
    except IntegrityError:
        # A redelivery raced its first copy; keep what is new one by one.
        session.rollback()
        kept = []
        for row in rows:
            fresh = LineEvent(jurisdiction_id=jurisdiction_id, webhook_event_id=row.webhook_event_id, body=row.body,
                              state="pending", attempts=0)
            session.add(fresh)
            try:
                session.commit()
                kept.append(fresh.id)
            except IntegrityError:
                session.rollback()
        return kept
    return [row.id for row in rows]


def stale(session: Session, older_than_seconds: int, now: datetime, limit: int = 500) -> list[int]:
    """Events whose job was lost (the broker was away, the worker was killed), oldest first."""
    before = now - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(LineEvent.id).where(
        LineEvent.state.in_(("pending", "handling")),
        or_(LineEvent.handled_at.is_(None), LineEvent.handled_at < before), LineEvent.received_at < before)
        .order_by(LineEvent.id).limit(limit)))
