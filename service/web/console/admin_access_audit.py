"""The audit log (``/staff/admin/audit``): who changed what in the jurisdiction, newest first, filtered and paged.

With htmx the filter and the pager swap the log in place (``staff/admin/in_place.html``) and the
address keeps the filter; without, they are plain GETs.

A row shows what the log holds and nothing more: the actor's name and role,
the action, the target, and the before and after the change recorded (which
never hold a key, a password or a secret).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from service.domain import audit, staff_accounts
from service.extensions import db
from service.models import Staff
from service.timefmt import TOKYO
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_access_forms import PAGE_SIZE, ROLE_LABELS, page_number, page_url, pages
from service.web.console.member import current_member
from service.web.signin import staff_required

admin_page("staff_web.admin_audit", _l("操作記録"), _l("誰がいつ何を変えたか（監査ログ）"), _l("利用者と接続"))

TEXT_MAX = 64


def _day(name: str, errors: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("日付は 2025-06-18 のように入力してください。")
        return None


def _filter(members: dict[int, Staff]) -> tuple[audit.AuditFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    actor = request.args.get("actor", "").strip()
    staff_id = int(actor) if actor.isdigit() and int(actor) in members else None
    if actor and staff_id is None:
        errors["actor"] = _("この職員はいません。")
    texts = {name: request.args.get(name, "").strip() for name in ("action", "target_type", "target_id")}
    for name, value in texts.items():
        if len(value) > TEXT_MAX:
            errors[name] = _("%(n)d文字以内で入力してください。", n=TEXT_MAX)
    since, until = _day("since", errors), _day("until", errors)
    if since and until and until < since:
        errors["until"] = _("終わりの日は始まりの日以降にしてください。")
    if errors:
        return audit.AuditFilter(), errors
    # Days are Tokyo's; the last day is included whole.
    return audit.AuditFilter(
        staff_id=staff_id, action=texts["action"] or None, target_type=texts["target_type"] or None,
        target_id=texts["target_id"] or None,
        since=datetime.combine(since, time(), TOKYO) if since else None,
        before=datetime.combine(until + timedelta(days=1), time(), TOKYO) if until else None), errors


def swapped(status: int) -> int:
    """A refused filter answers htmx with 200, since htmx swaps in only a 2xx answer (as ``admin.refusals_swapped`` does for posts)."""
    return 200 if "HX-Request" in request.headers else status


def changes(entry: Any) -> str:
    """The before and after of an entry, as compact JSON a clerk can read."""
    parts = []
    if entry.before is not None:
        parts.append(_("前: %(v)s", v=json.dumps(entry.before, ensure_ascii=False, sort_keys=True)))
    if entry.after is not None:
        parts.append(_("後: %(v)s", v=json.dumps(entry.after, ensure_ascii=False, sort_keys=True)))
    return " / ".join(parts)


@bp.get("/admin/audit")
@staff_required(*ADMINS)
def admin_audit() -> tuple[str, int]:
    admin, page = current_member(), page_number()
    members = {m.id: m for m in staff_accounts.members(db.session(), admin.jurisdiction_id)}
    wanted, errors = _filter(members)
    found = audit.entry_page(db.session(), admin.jurisdiction_id, wanted, page=page, page_size=PAGE_SIZE)
    return render_template("staff/admin/access_audit.html", rows=found.rows, total=found.total, page=page,
                           pages=pages(found.total), members=members.values(), args=request.args, errors=errors,
                           actions=audit.actions(db.session(), admin.jurisdiction_id), role_labels=ROLE_LABELS,
                           changes=changes, page_url=page_url("staff_web.admin_audit")), swapped(400 if errors else 200)
