"""The conversation with one resident, as a state machine with no I/O.

A turn takes the conversation's state, one input (a photo, a location, a
text, a postback) and what the caller knows about the place (the categories
offered there), and gives the next state, the messages to send back, and
whether to submit the report. Nothing here talks to LINE or the database.

States, in order: ``idle`` → ``location`` (photos in hand, asking where) →
``category`` → ``attribute`` (one required question at a time) →
``description`` → ``confirm`` → back to ``idle`` once submitted. A resident
may send more photos while asked for the location, and "やり直す" (or the
restart postback) starts over from any state. A conversation left alone for
longer than the timeout starts over at its next input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from service.channels.line import messages as say
from service.channels.line.postbacks import ANSWER, CATEGORY, RESTART, START, SUBMIT, USE_PHOTO_LOCATION

MAX_PHOTOS = 5
RESTART_WORDS = {"やり直す", "やりなおす", "restart", "start over", "キャンセル", "cancel"}
START_WORDS = {"通報", "通報する", "report", "start"}


@dataclass(frozen=True)
class Choice:
    """A category offered at the report's place, with its required questions."""

    code: str
    name: str
    questions: tuple[dict[str, Any], ...] = ()
    notice: str | None = None


@dataclass(frozen=True)
class Photo:
    """A photo the resident sent, once downloaded and inspected."""

    key: str
    sha256: str
    content_type: str
    byte_size: int
    width: int
    height: int
    extension: str
    gps: tuple[float, float] | None = None


@dataclass(frozen=True)
class State:
    step: str = "idle"
    photos: tuple[Photo, ...] = ()
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    category: str | None = None
    category_name: str | None = None
    questions: tuple[dict[str, Any], ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    offered: tuple[Choice, ...] = ()
    conversation_id: str | None = None
    # A rating under way (report, score, fixed), kept beside the report being written.
    rating: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step, "photos": [p.__dict__ for p in self.photos], "lat": self.lat, "lon": self.lon,
            "address": self.address, "category": self.category, "category_name": self.category_name,
            "questions": list(self.questions), "attributes": self.attributes, "description": self.description,
            "conversation_id": self.conversation_id, "rating": self.rating,
            "offered": [{"code": c.code, "name": c.name, "questions": list(c.questions), "notice": c.notice} for c in self.offered],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        if not data:
            return cls()
        photos = tuple(Photo(**{**p, "gps": tuple(p["gps"]) if p.get("gps") else None}) for p in data.get("photos", []))
        return cls(step=data.get("step", "idle"), photos=photos, lat=data.get("lat"), lon=data.get("lon"),
                   address=data.get("address"), category=data.get("category"), category_name=data.get("category_name"),
                   questions=tuple(data.get("questions", [])), attributes=dict(data.get("attributes", {})),
                   description=data.get("description"), conversation_id=data.get("conversation_id"), rating=data.get("rating"),
                   offered=tuple(Choice(c["code"], c["name"], tuple(c.get("questions", [])), c.get("notice"))
                                 for c in data.get("offered", [])))


# Inputs -----------------------------------------------------------------

@dataclass(frozen=True)
class PhotoReceived:
    photo: Photo


@dataclass(frozen=True)
class PhotoMissing:
    """A photo that could not be had (external provider, content API failure) or was refused."""

    reason: str


@dataclass(frozen=True)
class LocationSent:
    lat: float
    lon: float
    address: str | None = None


@dataclass(frozen=True)
class TextSent:
    text: str


@dataclass(frozen=True)
class PostbackSent:
    data: str


Input = PhotoReceived | PhotoMissing | LocationSent | TextSent | PostbackSent


@dataclass(frozen=True)
class Place:
    """What the caller found for a point: the categories there, or None when it is outside the jurisdiction."""

    choices: Sequence[Choice] | None
    address: str | None = None


@dataclass(frozen=True)
class Turn:
    state: State
    replies: list[dict[str, Any]]
    submit: bool = False


Locate = Callable[[float, float], Place]
Geocode = Callable[[str], tuple[float, float] | None]


def expired(updated_at: datetime | None, now: datetime, timeout: timedelta) -> bool:
    return updated_at is not None and now - updated_at > timeout


def turn(state: State, given: Input, *, locate: Locate, geocode: Geocode, language: str = "ja") -> Turn:
    """The next state and replies for ``given``; see the module docstring for the steps."""
    text = given.text.strip() if isinstance(given, TextSent) else None
    if (text is not None and text.lower() in RESTART_WORDS) or (isinstance(given, PostbackSent) and given.data == RESTART):
        return Turn(State(), [say.restarted(language)])
    step = state.step
    if step == "idle":
        return _idle(state, given, text, language, locate, geocode)
    if step == "location":
        return _location(state, given, text, locate, geocode, language)
    if step == "category":
        return _category(state, given, text, language)
    if step == "attribute":
        return _attribute(state, given, text, language)
    if step == "description":
        if text:
            if len(text) > say.MAX_DESCRIPTION:
                return Turn(state, [say.too_long(language)])
            done = replace(state, step="confirm", description=text)
            return Turn(done, [say.summary(done, language)])
        return Turn(state, [say.ask_description(language)])
    if step == "confirm":
        if isinstance(given, PostbackSent) and given.data == SUBMIT:
            return Turn(state, [], submit=True)
        if text in {"送信", "send", "submit"}:
            return Turn(state, [], submit=True)
        return Turn(state, [say.summary(state, language)])
    return Turn(State(), [say.restarted(language)])


def _idle(state: State, given: Input, text: str | None, language: str, locate: Locate, geocode: Geocode) -> Turn:
    if isinstance(given, PhotoReceived):
        started = replace(State(), step="location", photos=(given.photo,))
        return Turn(started, [say.ask_location(language, photo_gps=given.photo.gps is not None)])
    if isinstance(given, PhotoMissing):
        return Turn(State(), [say.photo_missing(given.reason, language)])
    if (isinstance(given, PostbackSent) and given.data == START) or (text is not None and text.lower() in START_WORDS):
        return Turn(replace(State(), step="location"), [say.ask_location(language, photo_gps=False)])
    if isinstance(given, LocationSent):
        # A location first: the report starts from it; photos are optional.
        return turn(State(step="location"), given, locate=locate, geocode=geocode, language=language)
    return Turn(state, [say.welcome(language)])


def _location(state: State, given: Input, text: str | None, locate: Locate, geocode: Geocode, language: str) -> Turn:
    if isinstance(given, PhotoReceived):
        if len(state.photos) >= MAX_PHOTOS:
            return Turn(state, [say.too_many_photos(language)])
        return Turn(replace(state, photos=(*state.photos, given.photo)), [])
    if isinstance(given, PhotoMissing):
        return Turn(state, [say.photo_missing(given.reason, language)])
    point: tuple[float, float] | None = None
    address: str | None = None
    if isinstance(given, LocationSent):
        point, address = (given.lat, given.lon), given.address
    elif isinstance(given, PostbackSent) and given.data == USE_PHOTO_LOCATION:
        point = next((p.gps for p in state.photos if p.gps), None)
    elif text:
        point = geocode(text)
        address = text
        if point is None:
            return Turn(state, [say.address_not_found(language)])
    if point is None:
        return Turn(state, [say.ask_location(language, photo_gps=any(p.gps for p in state.photos))])
    place = locate(point[0], point[1])
    if place.choices is None:
        return Turn(state, [say.outside(language)])
    if not place.choices:
        return Turn(state, [say.no_categories(language)])
    located = replace(state, step="category", lat=point[0], lon=point[1], address=place.address or address,
                      offered=tuple(place.choices))
    return Turn(located, [say.ask_category(located.offered, language)])


def _category(state: State, given: Input, text: str | None, language: str) -> Turn:
    chosen = None
    if isinstance(given, PostbackSent) and given.data.startswith(CATEGORY):
        code = given.data.split("=", 1)[1]
        chosen = next((c for c in state.offered if c.code == code), None)
    elif text:
        chosen = next((c for c in state.offered if text in {c.code, c.name}), None)
    if chosen is None:
        return Turn(state, [say.ask_category(state.offered, language)])
    picked = replace(state, category=chosen.code, category_name=chosen.name, questions=chosen.questions, attributes={})
    return _next_question(picked, language, chosen.notice)


def _next_question(state: State, language: str, notice: str | None = None) -> Turn:
    lead = [say.notice(notice)] if notice else []
    for question in state.questions:
        if question["code"] not in state.attributes:
            return Turn(replace(state, step="attribute"), [*lead, say.ask_question(question, language)])
    return Turn(replace(state, step="description"), [*lead, say.ask_description(language)])


def _attribute(state: State, given: Input, text: str | None, language: str) -> Turn:
    question = next(q for q in state.questions if q["code"] not in state.attributes)
    answer: str | None = None
    if isinstance(given, PostbackSent) and given.data.startswith(ANSWER):
        answer = given.data.split("=", 1)[1]
    elif text:
        answer = text
    values = {str(v["key"]) for v in question.get("values", [])}
    if answer is None or (values and answer not in values):
        return Turn(state, [say.ask_question(question, language)])
    if question.get("datatype") == "number":
        try:
            value: Any = float(answer)
        except ValueError:
            return Turn(state, [say.ask_question(question, language)])
    else:
        value = answer[: say.MAX_ANSWER]
    answered = replace(state, attributes={**state.attributes, question["code"]: value})
    return _next_question(answered, language)
