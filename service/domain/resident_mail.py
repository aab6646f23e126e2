"""E-mail to residents: who among a report's reporter and followers hears an event, and what they read.

Mail goes only to a resident who gave an address and opted in (the report's
``reporter_email_updates``, a follower's ``email_updates``). Residents hear
the confirmation of their report, each public status change with its public
reply, replies between status changes, the rating invitation (the reporter
only) and, when the report is merged into another, where it went on. A mail
names one report and holds only what its public page shows, so it carries no
other resident's data; it is written in the recipient's language (Japanese
and English texts, other languages falling back to Japanese, with status and
category names in every language the translations have).

The confirmation links to the reporter's private view with the tracking
token, which is stored only hashed. The token is in hand at intake alone, so
intake writes the confirmation's delivery itself, with the token encrypted in
the row (:func:`seal`); the worker decrypts it to send that one mail and then
clears it. The token sits in the link's fragment, which browsers send neither
to the server nor in a Referer.

Every mail carries an unsubscribe link, a signed reference that works
without sign-in, in its text and in ``List-Unsubscribe`` headers with
RFC 8058 one-click (:func:`unsubscribe`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service import urls
from service.domain import follows, languages, tokens
from service.domain import status as statuses
from service.domain.disclosure import public_reply
from service.models import Delivery, Follower, HistoryEntry, OutboxEvent, Report
from service.models.notification import RESIDENT_RECIPIENTS

REPORTER, FOLLOWER = RESIDENT_RECIPIENTS
CONFIRMATION = "report.received"
# What residents hear after the confirmation; a reply told with its status change is not told twice.
HEARD = ("report.status_changed", "report.replied", "report.rating_requested")
REPORTER_ONLY = ("report.received", "report.rating_requested")
UNSUBSCRIBE_PURPOSES = {"r": "mail-stop-reporter", "f": "mail-stop-follower"}


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)


def recipients(session: Session, event: OutboxEvent, report: Report) -> list[tuple[str, int | None]]:
    """Who hears ``event`` by mail, as (recipient, follower id): the opted-in reporter, then opted-in followers.

    The confirmation is not among them: intake writes its delivery (:func:`confirmation`).
    """
    if event.event_type not in HEARD or (event.payload or {}).get("with_transition"):
        return []
    found: list[tuple[str, int | None]] = []
    reporter = report.reporter_email.strip().lower() if report.reporter_email and report.reporter_email_updates else None
    if reporter:
        found.append((REPORTER, None))
    if event.event_type in REPORTER_ONLY:
        return found
    for follower in follows.followers_to_notify(session, report.id):
        # A reporter who also follows hears each event once.
        if follower.email and follower.email_updates and follower.email != reporter:
            found.append((FOLLOWER, follower.id))
    return found


def confirmation(event: OutboxEvent, report: Report, tracking_token: str, secret: str, now: datetime) -> Delivery | None:
    """The delivery of the confirmation to an opted-in reporter, with the token sealed in it; the caller adds it."""
    if not (report.reporter_email and report.reporter_email_updates):
        return None
    return Delivery(uid=f"dlv_{secrets.token_hex(12)}", outbox_event=event, recipient=REPORTER, state="pending",
                    attempts=0, next_attempt_at=now, sealed=seal(secret, tracking_token))


def seal(secret: str, text: str) -> str:
    return _fernet(secret).encrypt(text.encode()).decode("ascii")


def unseal(secret: str, sealed: str) -> str | None:
    """The sealed text, or None when it was sealed under another secret."""
    try:
        return _fernet(secret).decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        return None


def _fernet(secret: str) -> Fernet:
    # A key of its own, derived from the server secret, so it opens nothing else.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"resident-mail-seal:{secret}".encode()).digest()))


def unsubscribe_token(secret: str, recipient: str, row_id: int) -> str:
    """The signed reference that stops a reporter's mail (``row_id`` the report) or a follower's (the follower)."""
    kind = recipient[0]
    return f"{kind}.{tokens.signed_reference(secret, UNSUBSCRIBE_PURPOSES[kind], row_id)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, int] | None:
    """(``reporter`` or ``follower``, row id) of a valid token, else None."""
    kind, _, reference = token.partition(".")
    purpose = UNSUBSCRIBE_PURPOSES.get(kind)
    row_id = tokens.read_signed_reference(secret, purpose, reference) if purpose else None
    if row_id is None:
        return None
    return (REPORTER if kind == "r" else FOLLOWER), row_id


def unsubscribe(session: Session, secret: str, token: str) -> bool:
    """Stop the mail the token names, pending deliveries included; False when the token is not valid.

    Unsubscribing twice, or after the row is gone, is not an error. The caller commits.
    """
    read = read_unsubscribe_token(secret, token)
    if read is None:
        return False
    recipient, row_id = read
    if recipient == REPORTER:
        report = session.get(Report, row_id)
        if report is not None:
            report.reporter_email_updates = False
            events = select(OutboxEvent.id).where(OutboxEvent.report_id == row_id)
            session.execute(delete(Delivery).where(Delivery.recipient == REPORTER, Delivery.state == "pending",
                                                   Delivery.outbox_event_id.in_(events)))
    else:
        follower = session.get(Follower, row_id)
        if follower is not None:
            follower.email_updates = False
            session.execute(delete(Delivery).where(Delivery.follower_id == row_id, Delivery.state == "pending"))
    return True


def unsubscribe_url(base_url: str, token: str) -> str:
    return urls.join(base_url, f"/unsubscribe/{token}")


def compose(delivery: Delivery, event: OutboxEvent, report: Report, follower: Follower | None, base_url: str,
            secret: str) -> Mail | None:
    """The mail of one resident delivery, or None when its recipient no longer has an address or the opt-in."""
    if delivery.recipient == REPORTER:
        address, opted_in, language = report.reporter_email, report.reporter_email_updates, report.reporter_language
        token = unsubscribe_token(secret, REPORTER, report.id)
    elif follower is not None:
        address, opted_in, language = follower.email, follower.email_updates, follower.language
        token = unsubscribe_token(secret, FOLLOWER, follower.id)
    else:
        return None
    if not address or not opted_in:
        return None
    texts = _texts(language)
    link = unsubscribe_url(base_url, token)
    words = {
        "id": report.public_id,
        # The status the event moved to: a mail sent late still tells its own change.
        "status": statuses.label((event.payload or {}).get("to") or report.status, language or languages.DEFAULT),
        "category": _category_name(report, language or languages.DEFAULT),
        "public_url": urls.join(base_url, f"/reports/{report.public_id}"),
    }
    kind = _kind(event)
    if kind == "confirmation":
        tracking = unseal(secret, delivery.sealed) if delivery.sealed else None
        words["private_url"] = (urls.join(base_url, f"/reports/{report.public_id}#token={tracking}") if tracking
                                else words["public_url"])
    if kind in ("status", "reply"):
        words["reply"] = _reply(event, report, language or languages.DEFAULT)
    if kind == "merged":
        primary_id = _primary_id(report)
        words["primary"] = primary_id or ""
        words["primary_url"] = urls.join(base_url, f"/reports/{primary_id}") if primary_id else words["public_url"]
    subject, body = texts[kind]
    lines = [body.format(**words)]
    if words.get("reply"):
        lines += ["", texts["reply_heading"], words["reply"]]
    lines += ["", texts["public_page"].format(**words), "", "--", texts["unsubscribe"], link]
    headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return Mail(address, f"[{texts['service']}] " + subject.format(**words), "\n".join(lines) + "\n", headers)


def _kind(event: OutboxEvent) -> str:
    if event.event_type == CONFIRMATION:
        return "confirmation"
    if event.event_type == "report.rating_requested":
        return "rating"
    if event.event_type == "report.replied":
        return "reply"
    return "merged" if (event.payload or {}).get("to") == "duplicate" else "status"


def _reply(event: OutboxEvent, report: Report, language: str) -> str:
    """The public reply given with the event's change: the latest such history entry up to the event."""
    kind = "comment" if event.event_type == "report.replied" else "transition"
    entries = [e for e in report.history if e.kind == kind and e.created_at <= event.created_at
               and (kind == "comment" or e.to_status == (event.payload or {}).get("to"))]
    entry: HistoryEntry | None = max(entries, key=lambda e: (e.created_at, e.id), default=None)
    return (public_reply(entry, language) or "") if entry is not None else ""


def _primary_id(report: Report) -> str | None:
    primary = report.duplicate_of
    return primary.public_id if primary is not None else None


def _category_name(report: Report, language: str) -> str:
    category = report.category
    return (languages.translated(category.translations, "name", language)
            or (category.name_en if language == "en" else category.name_ja))


def _texts(language: str | None) -> dict[str, Any]:
    return TEXTS.get(language or languages.DEFAULT) or TEXTS[languages.DEFAULT]


# Each kind of mail is (subject, first paragraph); the other entries are lines around them.
TEXTS: dict[str, dict[str, Any]] = {
    "ja": {
        "service": "まちの声",
        "confirmation": ("通報を受け付けました（{id}）",
                         "通報を受け付けました。ありがとうございます。\n受付番号: {id}\n種類: {category}\n状況: {status}\n\n"
                         "ご本人用の状況ページ（このリンクは他の人に知らせないでください）:\n{private_url}"),
        "status": ("通報 {id} の状況: {status}", "通報 {id}（{category}）の状況が「{status}」になりました。"),
        "reply": ("通報 {id} への回答", "通報 {id}（{category}）に市から回答がありました。"),
        "rating": ("通報 {id} の対応の評価のお願い",
                   "通報 {id}（{category}）は対応済になりました。\n対応を 1〜5 で評価してください。"
                   "評価は、受付の確認メールにあるご本人用の状況ページからできます。直っていなければ、そこからお知らせください。"),
        "merged": ("通報 {id} は {primary} にまとめられました",
                   "通報 {id}（{category}）は、同じ内容の通報 {primary} にまとめられました。"
                   "今後の状況は次のページでご覧いただけます:\n{primary_url}"),
        "reply_heading": "市からの回答:",
        "public_page": "公開ページ: {public_url}",
        "unsubscribe": "このメールの配信を停止するには、次のリンクを開いてください:",
    },
    "en": {
        "service": "Machikoe",
        "confirmation": ("Your report was received ({id})",
                         "Thank you: your report was received.\nReport number: {id}\nCategory: {category}\nStatus: {status}\n\n"
                         "Your own status page (do not share this link):\n{private_url}"),
        "status": ("Report {id} is now: {status}", "The status of report {id} ({category}) is now \"{status}\"."),
        "reply": ("A reply to report {id}", "The city replied to report {id} ({category})."),
        "rating": ("Please rate how report {id} was handled",
                   "Report {id} ({category}) was resolved.\nPlease rate the work from 1 to 5 on your own status page, "
                   "linked in the confirmation mail of your report. If it is not fixed, tell us there."),
        "merged": ("Report {id} was merged into {primary}",
                   "Report {id} ({category}) was merged into report {primary}, which is about the same problem. "
                   "Follow how it goes here:\n{primary_url}"),
        "reply_heading": "The city's reply:",
        "public_page": "Public page: {public_url}",
        "unsubscribe": "To stop these e-mails, open this link:",
    },
}
