"""Outbox events, written in the same transaction as the change that causes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.models import OutboxEvent, Report

EVENT_TYPES = (
    "report.received",
    "report.routed",
    "report.status_changed",
    "report.replied",
    "report.resolved",
    "report.rating_requested",
    "report.rated",
    "report.reopened",
    "report.overdue",
)


def record_event(session: Session, event_type: str, report: Report, payload: dict[str, Any] | None = None) -> OutboxEvent:
    """Add an outbox row for ``report``; the caller's commit makes it durable."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = OutboxEvent(event_type=event_type, payload={"report_id": report.public_id, **(payload or {})})
    if report.id is None:
        event.report = report  # type: ignore[unreachable]  # SQLAlchemy types the key as int; it is None until the flush
    else:
        event.report_id = report.id
    session.add(event)
    return event
