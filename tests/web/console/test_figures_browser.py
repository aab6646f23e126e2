"""The figures page in a real browser: the table equals the API's numbers, the charts draw; axe clean, keyboard usable."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from service.web.console.figures import COLUMNS, figure_text
from tests.web.console.test_figures import api, figures_data

pytestmark = pytest.mark.browser
__all__ = ["figures_data"]


def test_a_manager_reads_the_departments_figures_equal_to_the_api(page, console_errors, live_server, screenshot, axe, client,
                                                                    keys, sign_in_page, figures_data):
    sign_in_page(page, "admin None")
    query = "&".join(f"{k}={v}" for k, v in figures_data.items())
    page.goto(f"{live_server}/staff/figures?{query}&group_by=department")
    assert page.get_by_role("heading", level=1).inner_text() == "集計"
    expect(page.locator(".chart[data-state=ready]")).to_have_count(4)
    expect(page.locator(".chart canvas")).to_have_count(4)

    answer = api(client, keys.admin, group_by="department", **figures_data)["groups"]
    rows = page.locator("table.figures tbody tr")
    expect(rows).to_have_count(len(answer))
    for index, row in enumerate(answer):
        shown = rows.nth(index)
        assert shown.locator("th").inner_text() == (row["department_name"] or "（なし）")
        for name, _ in COLUMNS:
            assert shown.locator(f'td[data-figure="{name}"] .this').inner_text() == figure_text(name, row[name]), name
    screenshot(page, "figures-department")
    assert axe(page) == []

    # Keyboard alone: the grouping is changed and the form sent without a pointer.
    page.get_by_label("集計の単位").focus()
    page.keyboard.press("End")  # the last choice: 全体 (one row for the whole jurisdiction)
    page.get_by_role("button", name="表示する").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "group_by=" in page.url
    total = api(client, keys.admin, group_by="", **figures_data)["groups"][0]
    expect(page.locator("table.figures tbody tr")).to_have_count(1)
    assert page.locator('td[data-figure="received"] .this').inner_text() == str(total["received"])
    screenshot(page, "figures-total")
    assert console_errors == []
