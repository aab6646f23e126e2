"""The inbox (/staff/reports): the staff list's filters as query arguments, results swapped by htmx, bulk actions and CSV.

Filters, counts and rows come from :mod:`service.domain.report_lists`, the
same query the staff API answers; this module parses the query string and
renders. Empty form fields are filters left out.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from schemas.staff import StaffReportQuerySchema
from service import clock
from service.api.csv_files import csv_text
from service.api.staff_presenters import CSV_COLUMNS
from service.domain import access, report_lists, triage
from service.domain import status as statuses
from service.domain.sla import standing
from service.extensions import db
from service.timefmt import TOKYO, iso_tokyo
from service.web.console import bp
from service.web.console.member import current_member
from service.web.locale import page_language

QUERY = StaffReportQuerySchema()
PAGE_SIZE = 50
# Counts per status above this are the database's estimate, shown as 約 (about) N.
EXACT_COUNTS_UP_TO = 10_000
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SORTS = {"-created": lazy_gettext("新しい順"), "created": lazy_gettext("古い順"), "-updated": lazy_gettext("更新が新しい順"),
         "-priority": lazy_gettext("優先度が高い順")}


def parsed_filter() -> tuple[report_lists.StaffFilter, dict[str, Any], dict[str, list[str]]]:
    """The filter of the query string, the parsed arguments, and the errors per field (empty when all is well)."""
    given = {k: [v for v in values if v.strip()] for k, values in request.args.lists() if k != "lang"}
    raw: dict[str, Any] = {k: values if k == "status" else values[-1] for k, values in given.items() if values}
    for name, days in (("created_from", 0), ("created_to", 1)):
        picked = raw.get(name)
        if isinstance(picked, str) and DATE.fullmatch(picked):
            # A day picked in the form is a day in Tokyo; "to" includes the whole day.
            raw[name] = f"{(date.fromisoformat(picked) + timedelta(days=days)).isoformat()}T00:00:00+09:00"
    try:
        args = QUERY.load(raw)
    except ValidationError as exc:
        errors = {field: list(messages) if isinstance(messages, list) else [str(messages)]
                  for field, messages in exc.normalized_messages().items()}
        return report_lists.StaffFilter(), {"sort": "-created", "page": 1}, errors
    codes = [code for value in args.get("status", []) for code in value.split(",") if code]
    unknown = [code for code in codes if code not in statuses.STATUSES]
    if unknown:
        return report_lists.StaffFilter(), {"sort": "-created", "page": 1}, {"status": [_("不明な状態です。")]}
    return report_lists.staff_filter({**args, "status": codes, "bbox": None}), args, {}


@bp.get("/reports")
def inbox() -> tuple[str, int]:
    member = current_member()
    wanted, args, errors = parsed_filter()
    now = clock.now()
    session = db.session()
    sort, page = args.get("sort", "-created"), args.get("page", 1)
    # The counts per status give the list's total too: one grouped count rather than two.
    counts = report_lists.status_counts(session, member, wanted, now, exact_up_to=EXACT_COUNTS_UP_TO)
    found = report_lists.staff_page(session, member, wanted, now, sort=sort if sort != "distance" else "-created",
                                    page=page, page_size=PAGE_SIZE, total=counts.total(wanted.statuses))
    row_counts = report_lists.row_counts(session, [r.id for r in found.rows])
    choices = report_lists.choices(session, member)
    names = {m.id: m.name for m in choices.members}
    language = page_language()
    year_end_break = current_app.config["YEAR_END_BREAK"]
    rows = [{"report": r, "standing": standing(r, now, year_end_break=year_end_break),
             "counts": row_counts.get(r.id, report_lists.RowCounts()), "assignee": names.get(r.assignee_id or 0),
             "status_label": statuses.label(r.status, language)} for r in found.rows]
    context = {"rows": rows, "total": found.total, "total_estimated": counts.is_estimated(wanted.statuses), "page": page, "pages": max(1, -(-found.total // PAGE_SIZE)),
               "counts": counts, "statuses": statuses.STATUSES, "choices": choices, "args": request.args,
               "selected_statuses": set(wanted.statuses), "errors": errors, "sorts": SORTS, "sort": sort,
               "language": language, "can_write": access.can_write(member), "page_url": _page_url}
    template = "staff/_inbox_results.html" if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted") \
        else "staff/inbox.html"
    return render_template(template, **context), 400 if errors else 200


@bp.get("/reports.csv")
def inbox_csv() -> Response:
    member = current_member()
    wanted, _args, errors = parsed_filter()
    if errors:
        return Response(_("絞り込みの条件が正しくありません。"), status=400, mimetype="text/plain")
    rows = report_lists.export_rows(db.session(), member, wanted, clock.now())
    cells = ([row[0], iso_tokyo(row[1]), iso_tokyo(row[2]), *row[3:]] for row in rows)
    response = Response(stream_with_context(csv_text(CSV_COLUMNS, cells)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="reports.csv"'
    return response


@bp.post("/reports/bulk")
def bulk() -> WerkzeugResponse:
    """Acknowledge, or assign to one member, the reports ticked in the inbox; back to the same filter."""
    member = current_member()
    ids = request.form.getlist("report")
    action = request.form.get("action")
    back = _safe_back(request.form.get("back"))
    if not ids:
        flash(_("通報が選ばれていません。"), "error")
        return redirect(back, 303)
    if action == "acknowledge":
        outcome = triage.acknowledge(db.session(), member, ids, clock.now())
    elif action == "assign":
        target = _assignee(member, request.form.get("assignee", ""))
        if target is False:
            flash(_("担当者を選んでください。"), "error")
            return redirect(back, 303)
        outcome = triage.assign(db.session(), member, ids, target or None, clock.now())
    else:
        flash(_("操作を選んでください。"), "error")
        return redirect(back, 303)
    flash(ngettext("%(num)d件を更新しました。", "%(num)d件を更新しました。", len(outcome.changed)), "info")
    if outcome.skipped:
        flash(ngettext("%(num)d件は更新できませんでした（状態または権限のため）。",
                       "%(num)d件は更新できませんでした（状態または権限のため）。", len(outcome.skipped)), "error")
    return redirect(back, 303)


def _assignee(member, value: str):
    """The member picked in the bulk form: a Staff row, None for "nobody", False when nothing usable was picked."""
    if value == report_lists.NOBODY:
        return None
    choices = {str(m.id): m for m in report_lists.choices(db.session(), member).members}
    return choices.get(value, False)


def _safe_back(value: str | None) -> str:
    """The inbox address the form came from; only a path of the inbox itself, never another site."""
    inbox_path = url_for("staff_web.inbox")
    if value and value.startswith(inbox_path) and not value.startswith("//"):
        return value
    return inbox_path


def _page_url(page: int) -> str:
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("page", None)
    return url_for("staff_web.inbox", **args, page=page)


@bp.app_template_filter("tokyo_time")
def tokyo_time(value) -> str:
    """A time as a clerk reads it: year, month, day, hour and minute in Tokyo."""
    return value.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if value is not None else ""
