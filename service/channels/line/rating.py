"""住民評価 in the chat: the score by buttons, then "fixed?", then an optional comment.

The rating is the same domain call as ``POST /api/v1/reports/{id}/rating``:
"not fixed" reopens the report, and the rating counts in the figures.
Only the resident whose chat sent the report can rate it here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.channels.line import messages as say
from service.channels.line.conversation import PostbackSent, State, TextSent
from service.channels.line.postbacks import FIXED, RATE
from service.domain.feedback import RatingNotAllowed, rate
from service.models import LineReport, LineUser, Report

NO_COMMENT = {"なし", "ない", "none", "no", "-"}


def wants(state: State, given: object) -> bool:
    """Whether ``given`` belongs to a rating rather than to a new report."""
    if isinstance(given, PostbackSent):
        return given.data.startswith((RATE, FIXED))
    return isinstance(given, TextSent) and state.rating is not None


def turn(session: Session, user: LineUser, state: State, given: object, *, window_days: int,
         now: datetime) -> tuple[State, list[dict[str, Any]]]:
    language = user.language
    if isinstance(given, PostbackSent) and given.data.startswith(RATE):
        public_id, _, score = given.data[len(RATE):].partition(":")
        if _own_report(session, user, public_id) is None or score not in {"1", "2", "3", "4", "5"}:
            return state, []
        return replace(state, rating=None), [say.ask_fixed(public_id, int(score), language)]
    if isinstance(given, PostbackSent):
        public_id, score, fixed = [*given.data[len(FIXED):].split(":"), "", "", ""][:3]
        if _own_report(session, user, public_id) is None or score not in {"1", "2", "3", "4", "5"} or fixed not in {"yes", "no"}:
            return state, []
        pending = {"report": public_id, "score": int(score), "fixed": fixed == "yes"}
        return replace(state, rating=pending), [say.ask_comment(language)]
    assert isinstance(given, TextSent) and state.rating is not None
    asked: dict[str, Any] = state.rating
    public_id, chosen, is_fixed = str(asked["report"]), int(asked["score"]), bool(asked["fixed"])
    report = _own_report(session, user, public_id)
    comment = given.text.strip()
    if report is None:
        return replace(state, rating=None), []
    try:
        rate(session, report, score=chosen, fixed=is_fixed,
             comment=None if comment.lower() in NO_COMMENT else comment[:2000], window_days=window_days, now=now)
    except RatingNotAllowed as exc:
        return replace(state, rating=None), [say.plain(str(exc))]
    return replace(state, rating=None), [say.rated(is_fixed, language)]


def _own_report(session: Session, user: LineUser, public_id: str) -> Report | None:
    return session.scalar(select(Report).join(LineReport, LineReport.report_id == Report.id)
                          .where(Report.public_id == public_id[:40], LineReport.line_user_id == user.id))
