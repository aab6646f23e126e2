"""Audit rows for reading personal data, not only for changing it.

A staff member who opens a report holding reporter contact, or who exports
reports, leaves one audit row: which report (or which reports), by whom and
when. The row names the fields that were shown, never their values. The
original photos' views are audited where they are served (service/api/staff.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from service.domain.audit import Actor, audit
from service.models import Photo, Report
from service.privacy.personal_data import Readers, Removal, fields_of

CONTACT_VIEWED = "report.contact_viewed"
EXPORTED = "report.exported"


def shown_contact(report: Report) -> list[str]:
    """The personal fields of ``report`` and its photos' metadata that the staff report view shows, where set.

    An original itself is audited when it is fetched, not when its link is shown.
    """
    shown = [f.name for f in fields_of(Report) if f.readers is Readers.STAFF and getattr(report, f.name) is not None]
    for f in fields_of(Photo):
        name = f"photo.{f.name}"
        if f.removal is not Removal.FILE and name not in shown and any(getattr(p, f.name) is not None for p in report.photos):
            shown.append(name)
    return shown


def audit_contact_view(session: Session, staff: Actor, report: Report) -> bool:
    """Add an audit row when the staff view of ``report`` shows contact; tell whether one was added."""
    fields = shown_contact(report)
    if fields:
        audit(session, staff, CONTACT_VIEWED, "report", report.public_id, after={"fields": fields})
    return bool(fields)


def audit_export(session: Session, staff: Actor, public_ids: Iterable[str], what: str) -> None:
    """One audit row for one export, listing the reports that went out."""
    ids = list(public_ids)
    audit(session, staff, EXPORTED, "export", what, after={"count": len(ids), "reports": ids})
