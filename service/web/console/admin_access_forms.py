"""What the access administration pages share: page numbers, labels of roles, the links of a paged list."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from service.domain import report_lists
from service.extensions import db
from service.models import Department
from service.web.console.member import current_member
from service.web.locale import page_language

PAGE_SIZE = 50
# As far as a list pages; beyond it a page number is taken as the last.
MAX_PAGE = 100_000
ROLE_LABELS = {"admin": _l("管理者"), "manager": _l("課長"), "staff": _l("職員"), "viewer": _l("閲覧のみ")}


def page_number() -> int:
    """The ``page`` argument, 1 when it is missing or not a number."""
    text = request.args.get("page", "1")
    return min(int(text), MAX_PAGE) if text.isdigit() and int(text) >= 1 else 1


def pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_url(endpoint: str) -> Any:
    """A function of a page number giving this list's address with its other arguments kept."""
    def url(page: int) -> str:
        args: dict[str, Any] = request.args.to_dict(flat=False)
        args.pop("page", None)
        return url_for(endpoint, **args, page=page)

    return url


def departments() -> list[Department]:
    """The departments of the signed-in admin's jurisdiction, for choosing one."""
    return report_lists.choices(db.session(), current_member()).departments


def department_label(department: Department | None) -> str:
    if department is None:
        return ""
    return (department.name_en or department.name_ja) if page_language() == "en" else department.name_ja
