"""Changes to a report besides its status: priority, a corrected category (which re-routes it), and moderation.

The API's PATCH and the console's forms both make them through :func:`edit`,
so that both check the same roles and make the same change; the caller checks
the version read (ETag/If-Match), audits and commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, workflow
from service.domain.processing import route
from service.models import Category, Report, Staff

MODERATION = ("hidden", "photos", "description")
PRIORITIES = range(0, 10)


class EditRefused(ValueError):
    """The change cannot be made: ``forbidden`` when the role does not allow it (403), else the input is wrong (422).

    ``code`` names the reason, for callers that tell it in the reader's language.
    """

    def __init__(self, message: str, code: str, *, field: str | None = None, forbidden: bool = False) -> None:
        super().__init__(message)
        self.code, self.field, self.forbidden = code, field, forbidden


def edit(session: Session, report: Report, staff: Staff, changes: Mapping[str, Any], now: datetime | None = None) -> None:
    """Apply ``changes`` (keys priority, category, hidden, photos [{id, hidden}], description) at ``now``, or raise EditRefused.

    Nothing is changed when a change is refused: roles and input are checked first.
    """
    if set(MODERATION) & set(changes) and not access.can_moderate(staff):
        raise EditRefused("Only managers and admins moderate reports.", "moderate_role", forbidden=True)
    if "category" in changes and not access.can_route(staff):
        raise EditRefused("Only managers and admins correct categories (it re-routes the report).", "route_role",
                          forbidden=True)
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        raise EditRefused("The priority is a number from 0 to 9.", "priority", field="priority")
    photos = {p.public_id: p for p in report.photos}
    for item in changes.get("photos", []):
        if item["id"] not in photos:
            raise EditRefused("No such photo on this report.", "photo", field="photos")
    category = None
    if "category" in changes and changes["category"] != report.category.code:
        category = session.scalar(select(Category).where(Category.jurisdiction_id == report.jurisdiction_id,
                                                         Category.code == changes["category"], Category.active.is_(True)))
        if category is None:
            raise EditRefused("Unknown category.", "category", field="category")
    if "priority" in changes:
        report.priority = changes["priority"]
    if "hidden" in changes:
        report.hidden = changes["hidden"]
    for item in changes.get("photos", []):
        photos[item["id"]].hidden = item["hidden"]
    if "description" in changes:
        workflow.redact(report, changes["description"])
    if category is not None:
        report.category_id = category.id
        report.category = category
        route(session, report)
    workflow.touch(report, now)
