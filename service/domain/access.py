"""Who may see and change what: roles scoped to a jurisdiction and, below admin, a department.

A report of another jurisdiction is never acknowledged to exist (callers answer
404); within the jurisdiction, a report of another department is forbidden
(403) for department-scoped staff.
"""

from __future__ import annotations

from enum import Enum

from service.models import Report, Staff


class Visibility(Enum):
    VISIBLE = "visible"
    FORBIDDEN = "forbidden"
    HIDDEN = "hidden"


WRITERS = ("admin", "manager", "staff")
ROUTERS = ("admin", "manager")


def department_scoped(staff: Staff) -> bool:
    return staff.role != "admin" and staff.department_id is not None


def visibility(staff: Staff, report: Report) -> Visibility:
    if report.jurisdiction_id != staff.jurisdiction_id:
        return Visibility.HIDDEN
    if department_scoped(staff) and report.department_id != staff.department_id:
        return Visibility.FORBIDDEN
    return Visibility.VISIBLE


def can_write(staff: Staff) -> bool:
    return staff.role in WRITERS


def can_route(staff: Staff) -> bool:
    """Re-routing to another department and merging duplicates."""
    return staff.role in ROUTERS


def can_see_contact(staff: Staff) -> bool:
    """Reporter contact (name, email, phone) on a report's staff view: those who act on reports; a viewer reads without it."""
    return staff.role in WRITERS


def can_see_original(staff: Staff) -> bool:
    """The original photo as uploaded, with its metadata: the same people as contact, since it may hold as much."""
    return can_see_contact(staff)


def can_moderate(staff: Staff) -> bool:
    return staff.role in ROUTERS


def is_admin(staff: Staff) -> bool:
    return staff.role == "admin"
