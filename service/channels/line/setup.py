"""Setting a jurisdiction's LINE channel: secret and token stored, never shown again."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.channels.line import push
from service.models import Jurisdiction, LineChannel, Subscriber

# A channel secret is 32 hexadecimal characters; an access token is a long opaque string.
SECRET_PATTERN = re.compile(r"^[0-9a-fA-F]{32}$")


class LineSetupError(ValueError):
    pass


def configure(session: Session, jurisdiction_code: str, *, channel_secret: str, access_token: str,
              monthly_push_quota: int | None = None) -> LineChannel:
    """Create or replace the jurisdiction's channel; raises LineSetupError for an unknown code or malformed values."""
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code))
    if jurisdiction is None:
        raise LineSetupError(f"No jurisdiction has the code {jurisdiction_code!r}.")
    if not SECRET_PATTERN.match(channel_secret):
        raise LineSetupError("The channel secret is 32 hexadecimal characters (LINE Developers console, Basic settings).")
    if not access_token or len(access_token) > 1000 or any(c.isspace() for c in access_token):
        raise LineSetupError("The channel access token is one line without spaces (Messaging API tab).")
    channel = session.scalar(select(LineChannel).where(LineChannel.jurisdiction_id == jurisdiction.id))
    if channel is None:
        channel = LineChannel(jurisdiction_id=jurisdiction.id, pushes_this_month=0)
        session.add(channel)
    channel.channel_secret, channel.access_token = channel_secret, access_token
    channel.monthly_push_quota = monthly_push_quota
    # Pushes travel through the outbox: the channel's subscriber hears the events of LINE reports.
    subscriber = session.scalar(select(Subscriber).where(Subscriber.jurisdiction_id == jurisdiction.id,
                                                         Subscriber.kind == push.KIND))
    if subscriber is None:
        session.add(Subscriber(jurisdiction_id=jurisdiction.id, kind=push.KIND, name="LINE", event_types=push.EVENT_TYPES,
                               active=True))
    session.commit()
    return channel


def channel_of(session: Session, jurisdiction_code: str) -> LineChannel:
    channel = session.scalar(select(LineChannel).join(Jurisdiction, Jurisdiction.id == LineChannel.jurisdiction_id)
                             .where(Jurisdiction.code == jurisdiction_code))
    if channel is None:
        raise LineSetupError(f"No LINE channel is set for {jurisdiction_code!r}; run `machikoe line configure` first.")
    return channel
