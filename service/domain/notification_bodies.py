"""What a subscriber receives about an event: the webhook JSON body and the mail text.

Reporter contact never leaves in a notification. The push gateway alone gets
the report's device id and its followers' devices, because those are the
addresses it pushes to; department
webhooks and mail get fields staff may see inside the municipality, and a
link to the report in the staff API. What leaves for any other receiver is
public: the report's place as the disclosure policy of every public surface
decides (service.domain.disclosure).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from service import urls
from service.domain import follows
from service.domain import status as statuses
from service.domain.disclosure import disclose_report
from service.models import Delivery, OutboxEvent, Report, Subscriber
from service.timefmt import iso_tokyo

EVENT_LABELS: dict[str, tuple[str, str]] = {
    "report.received": ("新しい通報", "New report"),
    "report.routed": ("担当課の決定", "Routed to a department"),
    "report.status_changed": ("状況の変更", "Status changed"),
    "report.replied": ("回答", "Reply"),
    "report.resolved": ("対応済", "Resolved"),
    "report.rating_requested": ("評価のお願い", "Rating requested"),
    "report.rated": ("住民評価", "Rated by the resident"),
    "report.reopened": ("再開", "Reopened"),
    "report.overdue": ("期限超過", "Overdue"),
}


def staff_url(base_url: str, report: Report) -> str:
    return urls.join(base_url, f"/api/v1/staff/reports/{report.public_id}")


def public_report(report: Report, base_url: str, decimals: int) -> dict[str, Any]:
    """The fields anyone may read on the report's public page, coordinates to ``decimals``."""
    shown = disclose_report(report, decimals)
    return {
        "id": report.public_id,
        "jurisdiction": report.jurisdiction.code,
        "status": report.status,
        "status_label_ja": statuses.label(report.status, "ja"),
        "status_label_en": statuses.label(report.status, "en"),
        "category": report.category.code,
        "department": report.department.code if report.department else None,
        "address": shown.address,
        "lat": shown.lat,
        "lon": shown.lon,
        "created_at": iso_tokyo(report.created_at),
        "updated_at": iso_tokyo(report.updated_at),
        "url": urls.join(base_url, f"/api/v1/reports/{report.public_id}"),
    }


def webhook_body(delivery: Delivery, event: OutboxEvent, report: Report, subscriber: Subscriber, base_url: str,
                 decimals: int) -> dict[str, Any]:
    """The JSON a webhook or the push gateway receives for one delivery (public coordinates to ``decimals``)."""
    body_report = public_report(report, base_url, decimals)
    if subscriber.kind == "department_webhook":
        # The department's own system works the report like staff do, at the stored position.
        body_report.update({"description": report.description, "priority": report.priority, "ward": report.ward,
                            "address": report.address if report.processing_state == "done" else None,
                            "lat": report.lat, "lon": report.lon, "staff_url": staff_url(base_url, report)})
    body: dict[str, Any] = {"id": delivery.uid, "type": event.event_type, "occurred_at": iso_tokyo(event.created_at),
                            "report": body_report, "data": event.payload or {}}
    if subscriber.kind == "push_gateway":
        body["device_id"] = report.device_id
        session = object_session(report)
        body["follower_device_ids"] = follows.follower_devices(session, report) if session is not None else []
    return body


def mail_text(event: OutboxEvent, report: Report, base_url: str) -> tuple[str, str]:
    """Subject and body of the short Japanese and English mail for one event."""
    label_ja, label_en = EVENT_LABELS.get(event.event_type, (event.event_type, event.event_type))
    status_ja, status_en = statuses.label(report.status, "ja"), statuses.label(report.status, "en")
    department = report.department
    subject = f"[まちの声] {label_ja}: {report.public_id} / {label_en}"
    lines = [
        f"通報 {report.public_id} について「{label_ja}」がありました。",
        f"状況: {status_ja}",
        f"種類: {report.category.name_ja}",
        f"担当課: {department.name_ja if department else '未定'}",
        f"場所: {report.address or f'{report.lat:.5f}, {report.lon:.5f}'}",
        f"日時: {iso_tokyo(event.created_at)}",
        f"詳細: {staff_url(base_url, report)}",
        "",
        f"Report {report.public_id}: {label_en}.",
        f"Status: {status_en}",
        f"Category: {report.category.name_en}",
        f"Department: {department.name_en if department else 'not yet routed'}",
    ]
    return subject, "\n".join(lines) + "\n"
