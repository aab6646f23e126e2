"""One stored LINE event, replayed through the resident's conversation.

The webhook only stores events; this module is what a job runs for them. It
downloads photos from LINE's content API and inspects them as app photos are
inspected, asks the coverage for the categories at a point, turns the
conversation, submits the report through the same intake function as
``POST /api/v1/reports``, and answers in the chat. No Flask, no Celery.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from service.channels.line import conversation as talk
from service.channels.line import messages as say
from service.channels.line import rating
from service.channels.line.client import LineApiError, LineClient
from service.domain.coverage import coverage
from service.domain.idempotency import IdempotencyKey
from service.domain.intake import IntakeError, MissingLocation, OutsideCoverage, UnknownCategory, UploadedPhoto, submit_report
from service.models import Category, LineEvent, LineReport, LineUser
from service.photos.inspect import PhotoRejected, inspect_photo
from service.photos.metadata import read_private_metadata
from service.storage.base import ObjectNotFound, PhotoStore

log = logging.getLogger(__name__)

CONTENT_ATTEMPTS = 3
CONTENT_RETRY_SECONDS = 0.5


@dataclass
class LineContext:
    """What handling an event needs from the app, handed in by the job."""

    session: Session
    store: PhotoStore
    client: LineClient
    secret: str
    locate_address: Callable[[str], tuple[float, float] | None]
    status_url: Callable[[str], str]
    now: Callable[[], datetime]
    enqueue_processing: Callable[[int], object]
    max_pixels: int
    timeout: timedelta
    rating_window_days: int = 30
    year_end_break: bool = True
    sleep: Callable[[float], None] = time.sleep


def handle(context: LineContext, event_id: int, *, stale_after: timedelta = timedelta(minutes=2)) -> None:
    """Handle one stored event once; a handled event is left alone (a redelivery, a second job).

    The event is claimed first, so two jobs for it (the webhook's and the
    sweep's) never both handle it; a claim older than ``stale_after`` was lost
    with its worker and may be taken again.
    """
    session = context.session
    claimed = cast(CursorResult[Any], session.execute(
        update(LineEvent).where(LineEvent.id == event_id, or_(
            LineEvent.state == "pending",
            (LineEvent.state == "handling") & (LineEvent.handled_at < context.now() - stale_after)))
        .values(state="handling", handled_at=context.now(), attempts=LineEvent.attempts + 1)
        .execution_options(synchronize_session=False))).rowcount
    session.commit()
    if claimed != 1:
        return
    row = session.get(LineEvent, event_id)
    assert row is not None
    body = row.body
    user_id = (body.get("source") or {}).get("userId")
    user, replies = None, []
    if user_id:
        user = _user(context, row.jurisdiction_id, user_id)
        replies = _on_event(context, user, body)
    row.state, row.handled_at = "done", context.now()
    blocked = user is not None and user.blocked_at is not None
    # The answer goes out once what it tells is committed.
    session.commit()
    if replies and not blocked and body.get("replyToken"):
        try:
            context.client.reply(body["replyToken"], replies)
        except LineApiError as exc:
            log.warning("LINE reply failed: %s", exc)


def chat_language(tag: str | None) -> str:
    """The language Machikoe speaks in the chat: Japanese for ja, English for any other known tag."""
    if not tag:
        return "ja"
    return "ja" if tag.lower().split("-")[0] == "ja" else "en"


def _user(context: LineContext, jurisdiction_id: int, user_id: str) -> LineUser:
    session = context.session
    query = select(LineUser).where(LineUser.jurisdiction_id == jurisdiction_id, LineUser.user_id == user_id)
    if session.get_bind().dialect.name == "postgresql":
        # Two jobs for one resident take turns, so neither overwrites the other's step.
        query = query.with_for_update()
    user = session.scalars(query).first()
    if user is None:
        # LINE tells a user's language through the profile, once per new resident.
        try:
            language = chat_language(context.client.language(user_id))
        except LineApiError:
            language = "ja"
        user = LineUser(jurisdiction_id=jurisdiction_id, user_id=user_id, language=language, conversation={})
        session.add(user)
        session.flush()
    return user


def _on_event(context: LineContext, user: LineUser, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn the conversation for one event; return the replies to send once it is committed."""
    kind = body.get("type")
    now = context.now()
    if kind == "unfollow":
        user.blocked_at = now
        return []
    if kind == "follow":
        user.blocked_at = None
        return [say.welcome(user.language)]
    given = _input(context, user, body)
    if given is None:
        return []
    state = talk.State.from_json(user.conversation)
    if rating.wants(state, given):
        state, replies = rating.turn(context.session, user, state, given, window_days=context.rating_window_days, now=now)
        user.conversation = state.as_json()
        return replies
    lead: list[dict[str, Any]] = []
    if state.step != "idle" and talk.expired(user.conversation_at, now, context.timeout):
        state, lead = talk.State(rating=state.rating), [say.expired(user.language)]
    result = talk.turn(state, given, locate=lambda lat, lon: _place(context, user, lat, lon),
                       geocode=context.locate_address, language=user.language)
    state, replies = result.state, [*lead, *result.replies]
    if state.step != "idle" and state.conversation_id is None:
        # The id makes the report idempotent on the conversation: a submit
        # handled twice (a redelivery, a retried job) makes one report.
        state = replace(state, conversation_id=uuid.uuid4().hex)
    if result.submit:
        state, replies = _submit(context, user, state)
    user.conversation, user.conversation_at = state.as_json(), now
    return replies


def _input(context: LineContext, user: LineUser, body: dict[str, Any]) -> talk.Input | None:
    kind = body.get("type")
    if kind == "postback":
        return talk.PostbackSent(str((body.get("postback") or {}).get("data", ""))[:300])
    if kind != "message":
        return None
    message = body.get("message") or {}
    if message.get("type") == "text":
        return talk.TextSent(str(message.get("text", ""))[: say.MAX_DESCRIPTION + 1])
    if message.get("type") == "location":
        try:
            return talk.LocationSent(float(message["latitude"]), float(message["longitude"]), message.get("address"))
        except (KeyError, TypeError, ValueError):
            return None
    if message.get("type") == "image":
        return _photo(context, user, message)
    return None


def _photo(context: LineContext, user: LineUser, message: dict[str, Any]) -> talk.Input:
    provider = (message.get("contentProvider") or {}).get("type", "line")
    if provider != "line":
        return talk.PhotoMissing("外部の写真は受け取れません" if user.language == "ja" else "photos from elsewhere cannot be taken")
    data: bytes | None = None
    for attempt in range(CONTENT_ATTEMPTS):
        try:
            data = context.client.content(str(message["id"]))
            break
        except LineApiError as exc:
            if not exc.temporary or attempt == CONTENT_ATTEMPTS - 1:
                log.warning("LINE content could not be had: %s", exc)
                return talk.PhotoMissing("LINEから写真を取得できませんでした" if user.language == "ja" else "LINE did not hand over the photo")
            context.sleep(CONTENT_RETRY_SECONDS * (attempt + 1))
    assert data is not None
    try:
        info = inspect_photo(data, max_pixels=context.max_pixels)
    except PhotoRejected as exc:
        return talk.PhotoMissing(str(exc)[:100])
    key = f"line/pending/{info.sha256[:2]}/{info.sha256}.{info.extension}"
    context.store.put(key, data, info.content_type)
    metadata = read_private_metadata(data)
    gps = (metadata.lat, metadata.lon) if metadata.lat is not None and metadata.lon is not None else None
    return talk.PhotoReceived(talk.Photo(key=key, sha256=info.sha256, content_type=info.content_type, byte_size=info.byte_size,
                                         width=info.width, height=info.height, extension=info.extension, gps=gps))


def _place(context: LineContext, user: LineUser, lat: float, lon: float) -> talk.Place:
    jurisdiction_id = coverage.jurisdiction_at(context.session, lon, lat)
    if jurisdiction_id != user.jurisdiction_id:
        return talk.Place(None)
    categories = context.session.scalars(
        select(Category).where(Category.jurisdiction_id == jurisdiction_id, Category.active.is_(True))
        .order_by(Category.position, Category.id)).all()
    english = user.language == "en"
    return talk.Place([talk.Choice(c.code, c.name_en if english else c.name_ja,
                                   tuple(q for q in c.attributes or [] if q.get("required")))
                       for c in categories])


def _submit(context: LineContext, user: LineUser, state: talk.State) -> tuple[talk.State, list[dict[str, Any]]]:
    language = user.language
    photos = []
    for photo in state.photos:
        try:
            data = context.store.get(photo.key)
        except ObjectNotFound:
            continue
        photos.append(UploadedPhoto(data, inspect_photo(data, max_pixels=context.max_pixels)))
    fields: dict[str, Any] = {"category": state.category, "description": state.description or "", "lat": state.lat,
                              "lon": state.lon, "attributes": dict(state.attributes)}
    if state.address:
        fields["address_hint"] = state.address[:200]
    key = IdempotencyKey(f"line:{state.conversation_id}", "line", str(user.id))
    try:
        result = submit_report(context.session, context.store, fields=fields, photos=photos, idempotency_key=key,
                               secret=context.secret, locate=context.locate_address, year_end_break=context.year_end_break,
                               source="line", now=context.now())
    except (OutsideCoverage, MissingLocation) as exc:
        return replace(state, step="location"), [say.refused(exc.message_ja if language == "ja" else exc.message_en, language)]
    except UnknownCategory:
        return replace(state, step="category"), [say.ask_category(state.offered, language)]
    except IntakeError as exc:
        return talk.State(), [say.refused(type(exc).__name__, language)]
    report = result.report
    if result.created:
        context.enqueue_processing(report.id)
    if context.session.scalar(select(LineReport.id).where(LineReport.report_id == report.id)) is None:
        context.session.add(LineReport(report_id=report.id, line_user_id=user.id))
    for photo in state.photos:
        context.store.delete(photo.key)
    return talk.State(), [say.received(report.public_id, context.status_url(report.public_id), language)]
