"""The inbox in a real browser: a road clerk narrows to overdue reports, acknowledges one; axe clean, keyboard usable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Report
from tests.web.console.conftest import WEDNESDAY, submit

pytestmark = pytest.mark.browser



def test_a_clerk_finds_the_overdue_road_reports_and_acknowledges_one(wednesday, page, console_errors, live_server, screenshot,
                                                                     axe, client, keys, sign_in_page, road_report, parks_report):
    late = submit(client, lat=35.655, lon=139.785)
    row = db.session.scalars(select(Report).where(Report.public_id == late)).one()
    row.first_response_due_at = WEDNESDAY - timedelta(hours=2)
    db.session.commit()
    sign_in_page(page, "staff road")

    page.goto(live_server + "/staff/reports")
    assert page.get_by_role("heading", level=1).inner_text() == "受信箱"
    table = page.get_by_role("table")
    assert table.get_by_text(road_report).is_visible() and table.get_by_text(late).is_visible()
    assert parks_report not in table.inner_text()
    screenshot(page, "inbox")
    assert axe(page) == []

    # Ticking 期限超過 swaps the results in place and keeps the filter in the address.
    page.get_by_label("期限超過").check()
    page.wait_for_url("**overdue=true**")
    expect(table.get_by_text(road_report)).to_have_count(0)
    assert table.get_by_text(late).is_visible()
    assert table.get_by_text("期限超過").is_visible()
    screenshot(page, "inbox-overdue")

    # The keyboard reaches the row's checkbox and the bulk button.
    page.get_by_label(f"{late}を選択").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="確認済にする").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="1件を更新しました。")).to_be_visible()
    assert "overdue=true" in page.url
    screenshot(page, "inbox-acknowledged")
    db.session.expire_all()
    assert db.session.scalars(select(Report.status).where(Report.public_id == late)).one() == "acknowledged"
    assert axe(page) == []

    # On to the report page: the clerk picks the resolution template and resolves it with that reply.
    page.goto(live_server + f"/staff/reports/{late}")
    page.get_by_label("定型文").select_option(label="道路を補修しました")
    # The report page's forms answer in place (htmx): no page load between the steps.
    page.get_by_role("button", name="定型文を使う").click()
    expect(page.get_by_label("次の状態")).to_have_value("resolved")
    expect(page.get_by_label("住民への回答（公開されます）")).to_have_value(
        "ご連絡いただいた道路の損傷を補修しました。ご協力ありがとうございました。")
    page.get_by_label("内部メモ（公開されません）").fill("補修班が対応")
    page.get_by_role("button", name="状態を変える").click()
    expect(page.get_by_role("status").filter(has_text="状態を「対応済」にしました。")).to_be_visible()
    expect(page.get_by_text("住民への回答（公開）")).to_be_visible()
    screenshot(page, "report-resolved")
    assert axe(page) == []
    assert console_errors == []
