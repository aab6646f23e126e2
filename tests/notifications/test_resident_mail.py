"""Mail to residents who opted in, through a real SMTP server (aiosmtpd) on 127.0.0.1.

The reporter gets the confirmation with the private link, each status change
with its public reply and the rating invitation; a follower gets the status
changes and the merge notice. Every mail's unsubscribe link stops the mail
(the page and its form, and RFC 8058 one-click); a refusing server is retried.
"""

from __future__ import annotations

import logging
import random
import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from service.domain import notifications
from service.domain.languages import LANGUAGES
from service.domain.mail import SmtpMailer
from service.extensions import db
from service.models import Delivery, Follower, Report
from service.models.types import utcnow
from tests.notifications import mail_server as mail_fixtures
from tests.notifications.conftest import LOCAL, transition
from tests.notifications.mail_server import text_of
from tests.staff.conftest import submit

BASE = "https://machikoe.example.jp"
REPORTER = "reporter@example.jp"
NEIGHBOUR = "neighbour@example.jp"

# The SMTP server these tests read.
mail_server = mail_fixtures.mail_server


@pytest.fixture()
def send(app, mail_server):
    """Dispatch the pending events and make one attempt at every due delivery; return their states."""
    policy_ = notifications.DeliveryPolicy(max_attempts=3, timeout=2, base_url=BASE, outbound_policy=LOCAL,
                                           secret=app.config["SECRET_KEY"])
    mailer = SmtpMailer(host="127.0.0.1", port=mail_server.port, sender="noreply@city.example.jp", timeout=2,
                        outbound_policy=LOCAL)

    def run(now=None) -> list[str]:
        notifications.dispatch(db.session)
        due = notifications.due_deliveries(db.session, now or utcnow())
        with requests.Session() as http:
            outcomes = notifications.deliver_batch(db.session, due, http, now or utcnow(), policy=policy_, mailer=mailer,
                                                   rng=random.Random(7))
        return [outcome.state for outcome in outcomes]

    return run


def report_with_mail(client, *, email_updates=True, language="ja") -> tuple[str, str]:
    """A report whose reporter gave an address (and opted in); its id and tracking token."""
    response = client.post("/api/v1/reports", headers={"Accept-Language": language}, json={
        "category": "road_damage", "description": "道路に穴があります", "lat": 35.650, "lon": 139.780,
        "reporter": {"email": REPORTER, "phone": "090-1111-2222", "email_updates": email_updates}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], response.get_json()["tracking_token"]


def follow(client, report_id: str, email: str = NEIGHBOUR, *, email_updates=True, language="ja") -> None:
    response = client.post(f"/api/v1/reports/{report_id}/followers", headers={"Accept-Language": language},
                           json={"email": email, "email_updates": email_updates})
    assert response.status_code == 201, response.get_json()


def unsubscribe_path(message: EmailMessage) -> str:
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{BASE}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text_of(message)
    return urlsplit(link).path


def test_confirmation_links_the_private_view_and_the_token_is_never_stored_in_clear(client, mail_server, send):
    report_id, token = report_with_mail(client)
    (delivery,) = db.session.scalars(select(Delivery))
    assert delivery.recipient == "reporter" and delivery.sealed and token not in delivery.sealed

    assert send() == ["delivered"]
    (mail,) = mail_server.to(REPORTER)
    assert mail["Subject"] == f"[まちの声] 通報を受け付けました（{report_id}）"
    text = text_of(mail)
    # The link opens the reporter's own view, the token in the fragment, the page in the mail's language.
    assert f"{BASE}/reports/{report_id}/own?lang=ja#t={token}" in text
    assert "種類: 道路の損傷" in text and "状況: 受付" in text
    unsubscribe_path(mail)
    db.session.expire_all()
    assert db.session.scalar(select(Delivery.sealed)) is None


def test_status_change_with_its_reply_and_the_rating_invitation_in_english(client, keys, mail_server, send):
    report_id, token = report_with_mail(client, language="en")
    transition(client, keys, report_id, "in_progress", who="admin", public_reply="We will repair it this week.")
    transition(client, keys, report_id, "resolved", who="admin", public_reply="Repaired.", internal_note="業者A社")

    assert set(send()) == {"delivered"}
    subjects = [m["Subject"] for m in mail_server.to(REPORTER)]
    assert subjects == [f"[Machikoe] Your report was received ({report_id})",
                        f"[Machikoe] Report {report_id} is now: In progress",
                        f"[Machikoe] Report {report_id} is now: Resolved",
                        f"[Machikoe] Please rate how report {report_id} was handled"]
    in_progress, resolved, rating = (text_of(m) for m in mail_server.to(REPORTER)[1:])
    assert "The city's reply:\nWe will repair it this week." in in_progress and "Repaired." not in in_progress
    assert "The city's reply:\nRepaired." in resolved
    assert "業者A社" not in resolved + rating and "090-1111-2222" not in resolved
    assert "rate the work from 1 to 5" in rating
    # The invitation links straight to the report's rating form, its reference in the fragment; no tracking token.
    link = re.search(r"^(\S+/rate\?lang=en#r=\S+)$", rating, re.MULTILINE).group(1)
    assert link.startswith(f"{BASE}/reports/{report_id}/rate?lang=en#r=") and token not in rating


def test_a_follower_hears_status_changes_and_the_merge_notice_without_the_reporter_s_data(client, keys, mail_server, send):
    primary = submit(client, reporter={"email": "other-reporter@example.jp", "phone": "080-0000-0000"})
    duplicate = submit(client, lat=35.6501, lon=139.7801)
    follow(client, duplicate)
    merged = client.post(f"/api/v1/staff/reports/{duplicate}/transitions", headers=keys.header("admin"),
                         json={"to": "duplicate", "duplicate_of": primary, "reason": "同じ穴"})
    assert merged.status_code == 201, merged.get_json()
    transition(client, keys, primary, "in_progress", who="admin", public_reply="補修の手配をしました。")

    assert set(send()) == {"delivered"}
    notice, status = mail_server.to(NEIGHBOUR)
    assert notice["Subject"] == f"[まちの声] 通報 {duplicate} は {primary} にまとめられました"
    assert f"{BASE}/reports/{primary}" in text_of(notice)
    assert status["Subject"] == f"[まちの声] 通報 {primary} の状況: 対応中"
    assert "補修の手配をしました。" in text_of(status)
    for message in (notice, status):
        assert "other-reporter@example.jp" not in message.as_string() and "080-0000-0000" not in message.as_string()
    # The other reporter gave no opt-in: nobody else was mailed.
    assert {tuple(recipients) for recipients, _ in mail_server.received} == {(NEIGHBOUR,)}


def test_no_mail_without_the_opt_in(client, keys, mail_server, send):
    report_id, _ = report_with_mail(client, email_updates=False)
    follow(client, report_id, email_updates=False)
    transition(client, keys, report_id, "resolved", who="admin", public_reply="補修しました。")

    send()
    assert mail_server.received == []
    assert db.session.scalar(select(Delivery).where(Delivery.subscriber_id.is_(None))) is None


def test_the_unsubscribe_page_asks_first_and_its_form_stops_the_mail(client, keys, mail_server, send):
    report_id, _ = report_with_mail(client)
    send()
    path = unsubscribe_path(mail_server.to(REPORTER)[0])

    page = client.get(path)
    assert page.status_code == 200 and "配信を停止する" in page.get_data(as_text=True)
    assert db.session.scalar(select(Report.reporter_email_updates)) is True
    transition(client, keys, report_id, "acknowledged", who="admin")
    notifications.dispatch(db.session)  # a mail already on its way is stopped too

    stopped = client.post(path)
    assert stopped.status_code == 200 and "配信を停止しました" in stopped.get_data(as_text=True)
    transition(client, keys, report_id, "resolved", who="admin")
    send()
    assert len(mail_server.to(REPORTER)) == 1
    assert client.post(path).status_code == 200  # twice is not an error


def test_one_click_unsubscribe_stops_a_follower_s_mail(client, keys, mail_server, send):
    report_id = submit(client)
    follow(client, report_id)
    transition(client, keys, report_id, "acknowledged", who="admin")
    send()
    (first,) = mail_server.to(NEIGHBOUR)

    # What a mail client sends for RFC 8058: no page, no cookie, no CSRF token.
    one_click = client.post(unsubscribe_path(first), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert db.session.scalar(select(Follower.email_updates)) is False
    transition(client, keys, report_id, "in_progress", who="admin")
    send()
    assert mail_server.to(NEIGHBOUR) == [first]


def test_a_forged_unsubscribe_link_is_refused(client):
    report_with_mail(client)
    row_id = db.session.scalar(select(Report.id))
    for path in (f"/unsubscribe/r.{row_id}.forged", f"/unsubscribe/x.{row_id}.abc", "/unsubscribe/nothing"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert db.session.scalar(select(Report.reporter_email_updates)) is True


def test_a_refusing_smtp_server_is_retried_and_no_address_or_token_is_logged(client, mail_server, send, caplog):
    caplog.set_level(logging.DEBUG)
    _, token = report_with_mail(client)
    mail_server.refuse = 1

    assert send() == ["pending"]
    (delivery,) = db.session.scalars(select(Delivery))
    db.session.refresh(delivery)
    assert delivery.attempts == 1 and "SMTP failed" in (delivery.last_error or "") and delivery.sealed
    assert mail_server.received == []

    assert send(now=delivery.next_attempt_at) == ["delivered"]
    (mail,) = mail_server.to(REPORTER)
    assert f"#t={token}" in text_of(mail)
    # The SMTP server's own log (aiosmtpd's "mail.log") stands for the relay, not for this service.
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail."))
    assert "delivery" in logged
    assert REPORTER not in logged and token not in logged and "090-1111-2222" not in logged


def test_a_dead_lettered_mail_is_listed_without_its_address_and_replayed(client, keys, mail_server, send):
    report_id, token = report_with_mail(client)
    mail_server.refuse = 3
    at = utcnow()
    for _ in range(3):
        send(now=at)
        at = at + timedelta(hours=2)
    failed = client.get("/api/v1/staff/deliveries?state=failed", headers=keys.header("admin"))
    assert failed.status_code == 200
    (item,) = failed.get_json()["items"]
    assert (item["report"], item["recipient"], item["subscriber"], item["attempts"]) == (report_id, "reporter", None, 3)
    assert REPORTER not in failed.get_data(as_text=True)
    # Once dead, the sealed token is gone: the replayed confirmation links the public page.
    assert db.session.scalar(select(Delivery.sealed)) is None

    replayed = client.post(f"/api/v1/staff/deliveries/{item['id']}/replay", headers=keys.header("admin"))
    assert replayed.status_code == 200, replayed.get_json()
    assert send(now=at) == ["delivered"]
    (mail,) = mail_server.to(REPORTER)
    assert f"{BASE}/reports/{report_id}" in text_of(mail) and token not in text_of(mail)
    # Parks staff see no mail about the road department's report.
    parks = client.get("/api/v1/staff/deliveries", headers=keys.header("parks_staff"))
    assert parks.status_code == 200 and parks.get_json()["items"] == []


# What a resident reads in each language: the subjects of the confirmation, the resolved
# status, the rating invitation and the merge notice, the category's name, and the unsubscribe footer.
IN_LANGUAGE = {
    "ja": ("[まちの声] 通報を受け付けました（{id}）", "[まちの声] 通報 {id} の状況: 対応済",
           "[まちの声] 通報 {id} の対応の評価のお願い", "[まちの声] 通報 {id} は {primary} にまとめられました",
           "道路の損傷", "このメールの配信を停止するには、次のリンクを開いてください:", "メール配信の停止"),
    "ja-x-easy": ("[まちの こえ] つうほうを うけつけました（{id}）", "[まちの こえ] つうほう {id}: おわりました",
                  "[まちの こえ] つうほう {id}: どう でしたか。おしえて ください",
                  "[まちの こえ] つうほう {id} は {primary} と いっしょに なりました",
                  "みちの あな・こわれ", "この メールを とめる ときは、この リンクを ひらいて ください:", "メールを とめる"),
    "en": ("[Machikoe] Your report was received ({id})", "[Machikoe] Report {id} is now: Resolved",
           "[Machikoe] Please rate how report {id} was handled", "[Machikoe] Report {id} was merged into {primary}",
           "Road damage", "To stop these e-mails, open this link:", "Unsubscribe from e-mails"),
    "zh-Hans": ("[Machikoe] 已受理您的报告（{id}）", "[Machikoe] 报告 {id} 的状态：已处理",
                "[Machikoe] 请评价报告 {id} 的处理情况", "[Machikoe] 报告 {id} 已合并至报告 {primary}",
                "道路损坏", "如需停止接收此类邮件，请打开以下链接：", "停止发送邮件"),
    "ko": ("[Machikoe] 신고가 접수되었습니다({id})", "[Machikoe] 신고 {id} 처리 상황: 처리 완료",
           "[Machikoe] 신고 {id} 건의 처리에 대한 평가를 부탁드립니다", "[Machikoe] 신고 {id} 건이 신고 {primary} 건에 통합되었습니다",
           "도로 파손", "이 메일 수신을 중지하려면 다음 링크를 열어 주세요:", "메일 수신 중지"),
    "vi": ("[Machikoe] Đã tiếp nhận báo cáo của bạn ({id})", "[Machikoe] Báo cáo {id}: Đã xử lý xong",
           "[Machikoe] Xin hãy đánh giá việc xử lý báo cáo {id}", "[Machikoe] Báo cáo {id} đã được gộp vào báo cáo {primary}",
           "Hư hỏng mặt đường", "Để ngừng nhận các e-mail này, hãy mở liên kết sau:", "Ngừng nhận e-mail"),
    "pt": ("[Machikoe] Seu relato foi recebido ({id})", "[Machikoe] Relato {id}: Resolvido",
           "[Machikoe] Avalie o atendimento do relato {id}", "[Machikoe] O relato {id} foi unido ao relato {primary}",
           "Dano na via", "Para deixar de receber estes e-mails, abra este link:", "Cancelar o recebimento de e-mails"),
}
KANA = re.compile(r"[\u3040-\u30ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
# The one part of a mail the city writes itself: the public reply, here a word every script can carry.
REPLY = "OK 12/1"


def script_is_its_own(language: str, text: str) -> bool:
    """No Japanese letters in a foreign-language mail; no kanji in one in やさしい日本語."""
    if language == "ja":
        return True
    if language == "ja-x-easy":
        return not HAN.search(text)
    return not KANA.search(text) and (language == "zh-Hans" or not HAN.search(text))


@pytest.mark.parametrize("language", list(IN_LANGUAGE))
def test_every_mail_reads_in_the_resident_s_language_with_its_unsubscribe_link(client, keys, mail_server, send,
                                                                              language):
    assert set(IN_LANGUAGE) == set(LANGUAGES)
    received, resolved, rating, merged, category, footer, unsubscribe_title = IN_LANGUAGE[language]
    report_id, token = report_with_mail(client, language=language)
    follow(client, report_id, language=language)
    transition(client, keys, report_id, "resolved", who="admin", public_reply=REPLY)
    # The neighbour also follows a second report, which staff merge into a third.
    primary, second = submit(client, lat=35.6501, lon=139.7801), submit(client, lat=35.6502, lon=139.7802)
    follow(client, second, language=language)
    merged_away = client.post(f"/api/v1/staff/reports/{second}/transitions", headers=keys.header("admin"),
                              json={"to": "duplicate", "duplicate_of": primary, "reason": "同じ穴"})
    assert merged_away.status_code == 201, merged_away.get_json()

    assert set(send()) == {"delivered"}
    mails = mail_server.to(REPORTER) + mail_server.to(NEIGHBOUR)
    subjects = [m["Subject"] for m in mails]
    assert subjects == [received.format(id=report_id), resolved.format(id=report_id), rating.format(id=report_id),
                        resolved.format(id=report_id), merged.format(id=second, primary=primary)]
    confirmation = text_of(mails[0])
    assert f"{BASE}/reports/{report_id}/own?lang={language}#t={token}" in confirmation
    assert category in confirmation and f"\n{REPLY}\n" in text_of(mails[1])
    assert f"{BASE}/reports/{report_id}/rate?lang={language}#r=" in text_of(mails[2])
    assert f"{BASE}/reports/{primary}?lang={language}" in text_of(mails[-1])
    for mail in mails:
        text = text_of(mail)
        assert script_is_its_own(language, mail["Subject"] + text), (language, mail["Subject"], text)
        assert f"\n--\n{footer}\n" in text
        path = unsubscribe_path(mail)
        assert mail["List-Unsubscribe"] == f"<{BASE}{path}?lang={language}>"
    # The unsubscribe page the link opens speaks the mail's language.
    page = client.get(urlsplit(mails[0]["List-Unsubscribe"].strip("<>"))._replace(scheme="", netloc="").geturl())
    assert page.status_code == 200 and f"<h1>{unsubscribe_title}</h1>" in page.get_data(as_text=True)
