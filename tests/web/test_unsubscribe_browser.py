"""The unsubscribe page of residents' mail in a real browser: it asks first, its button stops the mail, axe finds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.domain import resident_mail
from service.extensions import db
from service.models import Report

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "brand", "heading", "button", "done"), [
    ("ja", "みなと市 まちの声", "メール配信の停止", "配信を停止する", "この通報についてのメールの配信を停止しました。"),
    ("en", "Minato City Machikoe", "Unsubscribe from e-mails", "Stop e-mails",
     "You will no longer receive e-mails about this report."),
], ids=["ja", "en"])
def test_the_unsubscribe_page_confirms_then_stops_the_mail(app, client, page, console_errors, live_server,
                                                            screenshot, axe, language, brand, heading, button, done):
    created = client.post("/api/v1/reports", json={"category": "road_damage", "description": "道路に穴があります",
                                                   "lat": 35.650, "lon": 139.780,
                                                   "reporter": {"email": "reporter@example.jp", "email_updates": True}})
    assert created.status_code == 201
    report_id = db.session.scalar(select(Report.id))
    token = resident_mail.unsubscribe_token(app.config["SECRET_KEY"], "reporter", report_id)

    response = page.goto(f"{live_server}/unsubscribe/{token}?lang={language}")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == heading
    # The page wears the branding of the city whose report the mail is about.
    assert page.locator(".service-name").inner_text() == brand
    screenshot(page, f"confirm-{language}")
    assert axe(page) == []
    db.session.expire_all()
    assert db.session.scalar(select(Report.reporter_email_updates)) is True

    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == done
    screenshot(page, f"done-{language}")
    assert axe(page) == []
    assert console_errors == []
    db.session.expire_all()
    assert db.session.scalar(select(Report.reporter_email_updates)) is False
