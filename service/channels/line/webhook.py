"""The webhook each jurisdiction's LINE channel posts to: verify, store, answer.

`X-Line-Signature` is the base64 HMAC-SHA256 of the raw body with the
channel secret; anything unsigned or wrongly signed is answered 401 and
leaves nothing behind. Signed events are stored (a redelivery, by its
``webhookEventId``, finds its row and changes nothing) and a job handles
them, so LINE gets its 200 at once.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, request

from service.api.problems import abort
from service.channels.line import store_events
from service.extensions import db
from service.jobs import jobs
from service.models import Jurisdiction, LineChannel

bp = Blueprint("line", __name__, url_prefix="/channels/line")

MAX_BODY_BYTES = 1024 * 1024


@bp.post("/<string:jurisdiction_code>/webhook")
def webhook(jurisdiction_code: str):
    channel = db.session.execute(
        db.select(LineChannel).join(Jurisdiction, Jurisdiction.id == LineChannel.jurisdiction_id)
        .where(Jurisdiction.code == jurisdiction_code[:6])).scalar_one_or_none()
    if channel is None:
        abort(404, "No LINE channel is set up for this jurisdiction.")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        abort(413, "The webhook body is too large.")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        abort(413, "The webhook body is too large.")
    signature = request.headers.get("X-Line-Signature", "")
    try:
        valid = bool(signature) and _signature_validator(channel.channel_secret).validate(raw.decode("utf-8"), signature)
    except (UnicodeDecodeError, ValueError):
        valid = False
    if not valid:
        abort(401, "The X-Line-Signature does not match the body.")
    try:
        events = json.loads(raw).get("events", [])
    except (ValueError, AttributeError):
        abort(400, "The body is not a LINE webhook body.")
    if not isinstance(events, list):
        abort(400, "The body is not a LINE webhook body.")
    new_ids = store_events.store(db.session(), channel.jurisdiction_id, events)
    if new_ids:
        jobs.line_events(new_ids)
    current_app.logger.debug("LINE webhook: %d events, %d new", len(events), len(new_ids))
    return {}, 200


def _signature_validator(channel_secret: str) -> Any:
    # The SDK's webhook package takes about a second to import: a process pays it at its first LINE event, not at start.
    from linebot.v3.webhook import SignatureValidator

    return SignatureValidator(channel_secret)
