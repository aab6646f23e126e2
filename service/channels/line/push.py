"""Status changes, replies and the rating invitation, pushed to the resident's LINE chat.

Pushes go through the notification outbox like webhooks: a jurisdiction's
LINE channel has one subscriber of kind ``line``, which hears the events of
reports that came through LINE, and each push is a delivery with retries and
a dead-letter state. A push is taken from the channel's monthly quota when
its delivery is claimed (LINE charges per push; the month is the calendar
month in Japan, as LINE counts it); a resident who blocked the account is not
pushed to.

The delivery records the LINE user it pushes to and the text it carries, so
the person's export (service/domain/rights.py) shows what was pushed to them.
A reply reaches the chat as the public page shows it, masked
(:func:`service.domain.disclosure.public_reply`), as it reaches residents by mail.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from service.channels.line import messages as say
from service.channels.line.client import LineClient, LineEndpoints
from service.domain import status as statuses
from service.domain.disclosure import public_reply
from service.models import Delivery, HistoryEntry, LineChannel, LineReport, OutboxEvent, Report
from service.timefmt import TOKYO

log = logging.getLogger(__name__)

KIND = "line"
EVENT_TYPES = ["report.status_changed", "report.replied", "report.rating_requested"]


class PushRefused(Exception):
    """Nothing can be pushed for this delivery; the message says why."""


def hears(event: OutboxEvent, report: Report) -> bool:
    if report.source != "line":
        return False
    # A reply given with a transition is part of the status message.
    return not (event.event_type == "report.replied" and (event.payload or {}).get("with_transition"))


def prepare(delivery: Delivery, event: OutboxEvent, report: Report, endpoints: LineEndpoints | None,
            now: datetime) -> Callable[[], int | None]:
    """The push of ``delivery`` claimed at ``now``, ready to send, recorded on it.

    Raises PushRefused when there is nobody or no quota to push with.
    """
    session = object_session(report)
    if session is None or endpoints is None:
        raise PushRefused("LINE is not configured for deliveries")
    link = session.scalar(select(LineReport).where(LineReport.report_id == report.id))
    if link is None:
        raise PushRefused("the report has no LINE chat")
    user = link.line_user
    channel = session.scalar(select(LineChannel).where(LineChannel.jurisdiction_id == report.jurisdiction_id))
    if channel is None:
        raise PushRefused("the jurisdiction has no LINE channel")
    if user.blocked_at is not None:
        log.info("LINE push for report %s not sent: the resident blocked the account", report.public_id)
        return lambda: None
    month = now.astimezone(TOKYO).strftime("%Y-%m")
    if channel.push_month != month:
        channel.push_month, channel.pushes_this_month = month, 0
    if channel.monthly_push_quota is not None and channel.pushes_this_month >= channel.monthly_push_quota:
        raise PushRefused(f"the monthly LINE push quota ({channel.monthly_push_quota}) is used up")
    channel.pushes_this_month += 1
    messages = _messages(session, event, report, user.language)
    delivery.line_user_id = user.id
    delivery.sent_text = "\n\n".join(m.get("text") or m.get("altText") or "" for m in messages)
    user_id, token = user.user_id, channel.access_token
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, delivery.uid))

    def push() -> int:
        client = LineClient(endpoints, token)
        try:
            client.push(user_id, messages, retry_key=key)
        finally:
            client.close()
        return 200

    return push


def _messages(session: Any, event: OutboxEvent, report: Report, language: str) -> list[dict[str, Any]]:
    if event.event_type == "report.rating_requested":
        return [say.rating_invitation(report.public_id, language)]
    if event.event_type == "report.replied":
        replied = session.scalar(select(HistoryEntry).where(HistoryEntry.report_id == report.id,
                                                            HistoryEntry.public_reply.is_not(None))
                                 .order_by(HistoryEntry.id.desc()).limit(1))
        return [say.plain(say.text_for("reply", language, reply=_reply(replied, language)))]
    status = (event.payload or {}).get("to", report.status)
    lines = [say.text_for("status", language, id=report.public_id, status=statuses.label(status, "en" if language == "en" else "ja"))]
    latest = session.scalar(select(HistoryEntry).where(HistoryEntry.report_id == report.id, HistoryEntry.kind == "transition")
                            .order_by(HistoryEntry.id.desc()).limit(1))
    if latest is not None and latest.public_reply and latest.to_status == status:
        lines.append(say.text_for("reply", language, reply=_reply(latest, language)))
    return [say.plain("\n".join(lines))]


def _reply(entry: HistoryEntry | None, language: str) -> str:
    # A push is a message the resident may forward, like a mail to a follower:
    # it carries the reply as the public page shows it, never the text as written.
    return (public_reply(entry, language) or "") if entry is not None else ""

