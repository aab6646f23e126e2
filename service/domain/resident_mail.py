"""E-mail to residents: who among a report's reporter and followers hears an event, and what they read.

Mail goes only to a resident who gave an address and opted in (the report's
``reporter_email_updates``, a follower's ``email_updates``). Residents hear
the confirmation of their report, each public status change with its public
reply, replies between status changes, the rating invitation (the reporter
only) and, when the report is merged into another, where it went on. A mail
names one report and holds only what its public page shows, so it carries no
other resident's data; it is written in the recipient's language (every
language residents read, :data:`TEXTS`; an unknown one reads Japanese), and
the pages it links open in that language.

The confirmation links to the reporter's private view with the tracking
token, which is stored only hashed. The token is in hand at intake alone, so
intake writes the confirmation's delivery itself, with the token encrypted in
the row (:func:`seal`); the worker decrypts it to send that one mail and then
clears it. The token sits in the link's fragment, which browsers send neither
to the server nor in a Referer.

The rating invitation links to the rating form of its report
(``/reports/<id>/rate#r=REFERENCE``): the reference is signed for rating that
report at the resolution the mail invites to rate (:func:`rating_reference`),
so it opens the rating form and nothing else, shows only the public view, and
stops working when the rating window of that resolution closes or the report
is reopened and resolved again. It travels in the fragment too.

Every mail carries an unsubscribe link, a signed reference that works
without sign-in, in its text and in ``List-Unsubscribe`` headers with
RFC 8058 one-click (:func:`unsubscribe`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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


def unsubscribe_report(session: Session, secret: str, token: str) -> Report | None:
    """The report whose mail a valid token stops (the reporter's, or the one a follower follows), else None."""
    read = read_unsubscribe_token(secret, token)
    if read is None:
        return None
    recipient, row_id = read
    if recipient == REPORTER:
        return session.get(Report, row_id)
    follower = session.get(Follower, row_id)
    return session.get(Report, follower.report_id) if follower is not None else None


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


def rating_reference(secret: str, report: Report) -> str:
    """The signed reference of a rating link: rating ``report`` at its current resolution, nothing else."""
    return tokens.signed_reference(secret, _rating_purpose(report), report.id)


def report_to_rate(session: Session, secret: str, public_id: str, reference: str, now: datetime,
                   window_days: int) -> Report | None:
    """The report a rating link opens: the one with ``public_id``, resolved as when the link was made, in the window.

    None when the reference is not one, is another report's, was made for an
    earlier resolution, or the rating window has closed.
    """
    report = session.scalar(select(Report).where(Report.public_id == public_id))
    if report is None or report.status != "resolved" or report.resolved_at is None:
        return None
    if tokens.read_signed_reference(secret, _rating_purpose(report), reference.strip()) != report.id:
        return None
    if now > report.resolved_at + timedelta(days=window_days):
        return None
    return report


def _rating_purpose(report: Report) -> str:
    resolved = report.resolved_at
    if resolved is not None and resolved.tzinfo is None:
        resolved = resolved.replace(tzinfo=UTC)
    return f"rating-link:{int(resolved.timestamp()) if resolved else 0}"


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
    language = _mail_language(language)
    texts = TEXTS[language]
    link = _in_language(unsubscribe_url(base_url, token), language)
    words = {
        "id": report.public_id,
        # The status the event moved to: a mail sent late still tells its own change.
        "status": statuses.label((event.payload or {}).get("to") or report.status, language),
        "category": _category_name(report, language),
        "public_url": _page_url(base_url, f"/reports/{report.public_id}", language),
    }
    kind = _kind(event)
    if kind == "confirmation":
        tracking = unseal(secret, delivery.sealed) if delivery.sealed else None
        # The reporter's own view takes the token from the fragment (static/resident/own.js).
        words["private_url"] = (_page_url(base_url, f"/reports/{report.public_id}/own", language) + f"#t={tracking}"
                                if tracking else words["public_url"])
    if kind == "rating":
        words["rating_url"] = (_page_url(base_url, f"/reports/{report.public_id}/rate", language)
                               + f"#r={rating_reference(secret, report)}" if report.resolved_at else words["public_url"])
    if kind in ("status", "reply"):
        words["reply"] = _reply(event, report, language or languages.DEFAULT)
    if kind == "merged":
        primary_id = _primary_id(report)
        words["primary"] = primary_id or ""
        words["primary_url"] = (_page_url(base_url, f"/reports/{primary_id}", language) if primary_id
                                else words["public_url"])
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


def _mail_language(language: str | None) -> str:
    """The language of a mail: the recipient's when the mail has texts in it, else Japanese."""
    return language if language in TEXTS else languages.DEFAULT


def _page_url(base_url: str, path: str, language: str) -> str:
    return _in_language(urls.join(base_url, path), language)


def _in_language(url: str, language: str) -> str:
    # The page a mail links opens in the mail's language, whatever the browser's is.
    return f"{url}?lang={language}"


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
                   "直っていなければ、同じページでお知らせください。\n評価のページ（このリンクは他の人に知らせないでください）:\n{rating_url}"),
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
                   "Report {id} ({category}) was resolved.\nPlease rate the work from 1 to 5. If it is not fixed, tell us on "
                   "the same page.\nRating page (do not share this link):\n{rating_url}"),
        "merged": ("Report {id} was merged into {primary}",
                   "Report {id} ({category}) was merged into report {primary}, which is about the same problem. "
                   "Follow how it goes here:\n{primary_url}"),
        "reply_heading": "The city's reply:",
        "public_page": "Public page: {public_url}",
        "unsubscribe": "To stop these e-mails, open this link:",
    },
    "ja-x-easy": {
        "service": "まちの こえ",
        "confirmation": ("つうほうを うけつけました（{id}）",
                         "つうほうを うけつけました。ありがとう ございます。\nばんごう: {id}\nしゅるい: {category}\n"
                         "いまの ようす: {status}\n\n"
                         "あなたの つうほうの ページです（この リンクは ほかの ひとに おしえないで ください）:\n{private_url}"),
        "status": ("つうほう {id}: {status}", "つうほう {id}（{category}）の ようすが かわりました。\nいまの ようす: {status}"),
        "reply": ("つうほう {id}: まちから へんじが あります", "つうほう {id}（{category}）に まちから へんじが あります。"),
        "rating": ("つうほう {id}: どう でしたか。おしえて ください",
                   "つうほう {id}（{category}）は おわりました。\nどう でしたか。1〜5で えらんで ください。"
                   "なおって いない ときも、この ページで おしえて ください。\n"
                   "えらぶ ページです（この リンクは ほかの ひとに おしえないで ください）:\n{rating_url}"),
        "merged": ("つうほう {id} は {primary} と いっしょに なりました",
                   "つうほう {id}（{category}）と おなじ ことの つうほうが あります。{primary} と いっしょに なりました。"
                   "これからの ようすは この ページで みて ください:\n{primary_url}"),
        "reply_heading": "まちからの へんじ:",
        "public_page": "だれでも みられる ページ: {public_url}",
        "unsubscribe": "この メールを とめる ときは、この リンクを ひらいて ください:",
    },
    "zh-Hans": {
        "service": "Machikoe",
        "confirmation": ("已受理您的报告（{id}）",
                         "您的报告已受理，谢谢。\n受理编号：{id}\n类别：{category}\n状态：{status}\n\n"
                         "您本人专用的进度页面（请勿将此链接告诉他人）：\n{private_url}"),
        "status": ("报告 {id} 的状态：{status}", "报告 {id}（{category}）的状态已变为“{status}”。"),
        "reply": ("关于报告 {id} 的答复", "市政府对报告 {id}（{category}）作出了答复。"),
        "rating": ("请评价报告 {id} 的处理情况",
                   "报告 {id}（{category}）已处理完毕。\n请以 1～5 分评价处理情况。如果问题尚未解决，也请在同一页面告诉我们。\n"
                   "评价页面（请勿将此链接告诉他人）：\n{rating_url}"),
        "merged": ("报告 {id} 已合并至报告 {primary}",
                   "报告 {id}（{category}）与报告 {primary} 反映的是同一问题，已合并至该报告。今后的进度请在以下页面查看：\n"
                   "{primary_url}"),
        "reply_heading": "市政府的答复：",
        "public_page": "公开页面：{public_url}",
        "unsubscribe": "如需停止接收此类邮件，请打开以下链接：",
    },
    "ko": {
        "service": "Machikoe",
        "confirmation": ("신고가 접수되었습니다({id})",
                         "신고가 접수되었습니다. 감사합니다.\n접수 번호: {id}\n종류: {category}\n처리 상황: {status}\n\n"
                         "본인 전용 처리 상황 페이지(이 링크는 다른 사람에게 알려 주지 마세요):\n{private_url}"),
        "status": ("신고 {id} 처리 상황: {status}", "신고 {id}({category}) 건의 처리 상황이 변경되었습니다.\n현재 상황: {status}"),
        "reply": ("신고 {id} 건에 대한 답변", "신고 {id}({category}) 건에 대해 시에서 답변을 드렸습니다."),
        "rating": ("신고 {id} 건의 처리에 대한 평가를 부탁드립니다",
                   "신고 {id}({category}) 건의 처리가 완료되었습니다.\n처리 결과를 1~5점으로 평가해 주세요. "
                   "아직 고쳐지지 않았다면 같은 페이지에서 알려 주세요.\n평가 페이지(이 링크는 다른 사람에게 알려 주지 마세요):\n"
                   "{rating_url}"),
        "merged": ("신고 {id} 건이 신고 {primary} 건에 통합되었습니다",
                   "신고 {id}({category}) 건은 같은 내용의 신고 {primary} 건에 통합되었습니다. "
                   "앞으로의 처리 상황은 다음 페이지에서 확인하실 수 있습니다:\n{primary_url}"),
        "reply_heading": "시의 답변:",
        "public_page": "공개 페이지: {public_url}",
        "unsubscribe": "이 메일 수신을 중지하려면 다음 링크를 열어 주세요:",
    },
    "vi": {
        "service": "Machikoe",
        "confirmation": ("Đã tiếp nhận báo cáo của bạn ({id})",
                         "Xin cảm ơn. Báo cáo của bạn đã được tiếp nhận.\nSố báo cáo: {id}\nLoại: {category}\n"
                         "Tình trạng: {status}\n\n"
                         "Trang theo dõi riêng của bạn (xin đừng chia sẻ liên kết này với người khác):\n{private_url}"),
        "status": ("Báo cáo {id}: {status}", "Tình trạng của báo cáo {id} ({category}) đã chuyển thành \"{status}\"."),
        "reply": ("Trả lời về báo cáo {id}", "Thành phố đã trả lời về báo cáo {id} ({category})."),
        "rating": ("Xin hãy đánh giá việc xử lý báo cáo {id}",
                   "Báo cáo {id} ({category}) đã được xử lý xong.\nXin hãy đánh giá việc xử lý theo thang điểm từ 1 đến 5. "
                   "Nếu sự cố chưa được khắc phục, xin hãy cho chúng tôi biết trên cùng trang đó.\n"
                   "Trang đánh giá (xin đừng chia sẻ liên kết này với người khác):\n{rating_url}"),
        "merged": ("Báo cáo {id} đã được gộp vào báo cáo {primary}",
                   "Báo cáo {id} ({category}) đã được gộp vào báo cáo {primary} về cùng một sự cố. "
                   "Bạn có thể theo dõi tình hình xử lý tại đây:\n{primary_url}"),
        "reply_heading": "Trả lời của thành phố:",
        "public_page": "Trang công khai: {public_url}",
        "unsubscribe": "Để ngừng nhận các e-mail này, hãy mở liên kết sau:",
    },
    "pt": {
        "service": "Machikoe",
        "confirmation": ("Seu relato foi recebido ({id})",
                         "Obrigado. Seu relato foi recebido.\nNúmero do relato: {id}\nTipo: {category}\nSituação: {status}\n\n"
                         "Sua página de acompanhamento (não compartilhe este link com outras pessoas):\n{private_url}"),
        "status": ("Relato {id}: {status}", "A situação do relato {id} ({category}) mudou para \"{status}\"."),
        "reply": ("Resposta ao relato {id}", "A prefeitura respondeu ao relato {id} ({category})."),
        "rating": ("Avalie o atendimento do relato {id}",
                   "O relato {id} ({category}) foi resolvido.\nAvalie o atendimento de 1 a 5. Se o problema não foi resolvido, "
                   "informe-nos na mesma página.\nPágina de avaliação (não compartilhe este link com outras pessoas):\n"
                   "{rating_url}"),
        "merged": ("O relato {id} foi unido ao relato {primary}",
                   "O relato {id} ({category}) foi unido ao relato {primary}, que trata do mesmo problema. "
                   "Acompanhe o andamento aqui:\n{primary_url}"),
        "reply_heading": "Resposta da prefeitura:",
        "public_page": "Página pública: {public_url}",
        "unsubscribe": "Para deixar de receber estes e-mails, abra este link:",
    },
}
