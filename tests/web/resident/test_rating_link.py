"""The rating invitation's link opens the rating form of its report, and only that.

The mail is delivered by the notification worker's code to a real SMTP server
(aiosmtpd on 127.0.0.1); the resident opens its link in a phone's browser and
rates. The pages are also tested without a browser for what a link must refuse.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from service.domain import resident_mail
from service.extensions import db
from service.models import Rating, Report
from tests.notifications import mail_server as mail_fixtures
from tests.notifications.conftest import transition
from tests.notifications.mail_server import text_of
from tests.staff.conftest import keys  # noqa: F401  (fixture)
from tests.web.resident.conftest import on_one_database
from tests.web.resident.test_done_when_browser import mail_settings, mails_to  # noqa: F401  (fixture)

mail_server = mail_fixtures.mail_server
REPORTER = "aoi@example.jp"
RATING_LINK = re.compile(r"^(http\S+/rate\?lang=\S+#r=\S+)$", re.MULTILINE)


def resolved_report(client, keys, language: str = "ja") -> str:  # noqa: F811
    sent = client.post("/api/v1/reports", headers={"Accept-Language": language}, json={
        "category": "road_damage", "description": "歩道の段差でつまずきました", "lat": 35.65, "lon": 139.78,
        "reporter": {"email": REPORTER, "phone": "090-3333-4444", "email_updates": True}, "device_id": "phone-9c1d"})
    assert sent.status_code == 201, sent.get_json()
    report_id = sent.get_json()["id"]
    transition(client, keys, report_id, "resolved", who="admin", public_reply="段差を直しました。")
    return report_id


def reference_of(report_id: str, secret: str) -> str:
    return resident_mail.rating_reference(secret, db.session.scalar(select(Report).where(Report.public_id == report_id)))


def opened(client, report_id: str, reference: str):
    page = client.get(f"/reports/{report_id}/rate")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/reports/{report_id}/rate/open", data={"csrf_token": csrf, "reference": reference}), csrf


@pytest.mark.browser
@on_one_database
def test_the_resident_rates_from_the_link_in_the_rating_mail(app, client, keys, phone, live_server, mail_server,  # noqa: F811
                                                             mail_settings, screenshot, axe):  # noqa: F811
    report_id = resolved_report(client, keys, language="en")
    mails = mails_to(mail_server, REPORTER, 3)
    (invitation,) = [m for m in mails if m["Subject"] == f"[Machikoe] Please rate how report {report_id} was handled"]
    link = RATING_LINK.search(text_of(invitation)).group(1)
    assert link.startswith(f"{live_server}/reports/{report_id}/rate?lang=en#r=")

    page = phone("en-US")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(link)
    page.get_by_role("heading", level=1, name="Rate how it was handled").wait_for()
    # The reference left the address bar and was never part of an address the server saw.
    assert "#r=" not in page.url and not any("#r=" in url or link.split("#r=")[1] in url for url in requested)
    shown = page.locator("main").inner_text()
    assert "段差を直しました。" in shown
    # The public view only: nothing the resident sent privately.
    html = page.content()
    assert REPORTER not in html and "090-3333-4444" not in html and "phone-9c1d" not in html
    screenshot(page, "rating-link-form")
    assert axe(page) == []
    page.get_by_label("4").check()
    page.get_by_label("Fixed", exact=True).check()
    page.get_by_label("Comment").fill("Quick work, thank you")
    page.get_by_role("button", name="Send rating").click()
    page.get_by_text("Thank you for your rating.").wait_for()
    screenshot(page, "rating-link-rated")
    db.session.expire_all()
    rating = db.session.scalar(select(Rating).join(Report).where(Report.public_id == report_id, Rating.current.is_(True)))
    assert (rating.score, rating.fixed, rating.comment) == (4, True, "Quick work, thank you")
    assert errors == []


def test_a_rating_link_opens_the_form_of_its_report_only_and_rates(app, client, keys):  # noqa: F811
    report_id = resolved_report(client, keys)
    other_id = resolved_report(client, keys)
    reference = reference_of(report_id, app.config["SECRET_KEY"])

    closed = client.get(f"/reports/{report_id}/rate")
    assert closed.status_code == 200 and 'name="reference"' in closed.get_data(as_text=True)
    assert closed.headers["Cache-Control"] == "no-store"
    answer, csrf = opened(client, report_id, reference)
    assert answer.status_code == 303 and reference not in answer.headers["Location"]
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and f"Path=/reports/{report_id}/rate" in cookie and reference not in cookie
    form = client.get(f"/reports/{report_id}/rate").get_data(as_text=True)
    assert 'name="score"' in form and "段差を直しました。" in form and "090-3333-4444" not in form
    # The link opens neither the reporter's own view nor another report's rating form.
    assert 'name="token"' in client.get(f"/reports/{report_id}/own").get_data(as_text=True)
    assert 'name="reference"' in client.get(f"/reports/{other_id}/rate").get_data(as_text=True)
    assert client.post(f"/reports/{other_id}/rate", data={"csrf_token": csrf, "score": "1", "fixed": "no"}).status_code == 403
    # A form not filled is answered beside the form; a filled one reopens the report when not fixed.
    unfilled = client.post(f"/reports/{report_id}/rate", data={"csrf_token": csrf, "score": "9"})
    assert unfilled.status_code == 422 and "評価（1〜5）と、直ったかどうかを選んでください。" in unfilled.get_data(as_text=True)
    rated = client.post(f"/reports/{report_id}/rate", data={"csrf_token": csrf, "score": "2", "fixed": "no"})
    assert rated.status_code == 200 and "評価を送信しました。" in rated.get_data(as_text=True)
    db.session.expire_all()
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    assert (report.rating_score, report.rating_fixed, report.status) == (2, False, "in_progress")


def test_a_forged_an_other_report_s_or_an_old_rating_link_is_refused(app, client, keys, fixed_clock):  # noqa: F811
    secret = app.config["SECRET_KEY"]
    report_id = resolved_report(client, keys)
    other_id = resolved_report(client, keys)
    reference = reference_of(report_id, secret)

    for wrong in ("1.AAAAAAAAAAAAAAAAAAAAAAAA", reference_of(other_id, secret), "nonsense"):
        refused, _ = opened(client, report_id, wrong)
        assert refused.status_code == 403 and "rate_report" not in refused.headers.get("Set-Cookie", "")
        assert "このリンクでは評価できません。" in refused.get_data(as_text=True)
    # Past the rating window, the link no longer opens the form.
    fixed_clock.instant += timedelta(days=app.config["RATING_WINDOW_DAYS"] + 1)
    late, _ = opened(app.test_client(), report_id, reference)
    assert late.status_code == 403
    # Reopened and resolved again, the first invitation's link is spent; the new one opens.
    fixed_clock.instant -= timedelta(days=app.config["RATING_WINDOW_DAYS"])
    transition(client, keys, report_id, "in_progress", who="admin")
    fixed_clock.instant += timedelta(hours=1)
    transition(client, keys, report_id, "resolved", who="admin", public_reply="もう一度直しました。")
    old, _ = opened(app.test_client(), report_id, reference)
    assert old.status_code == 403
    new, _ = opened(app.test_client(), report_id, reference_of(report_id, secret))
    assert new.status_code == 303 and urlsplit(new.headers["Location"]).path == f"/reports/{report_id}/rate"
