"""The resident home page and the sign-in page in a real browser: both languages, the CSP holding, no console errors, axe clean."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("path", "language", "heading"), [
    ("/", "ja", "まちの困りごとを知らせる"),
    ("/?lang=en", "en", "Report a problem in town"),
    ("/staff/login", "ja", "ログイン"),
    ("/staff/login?lang=en", "en", "Sign in"),
], ids=["home-ja", "home-en", "login-ja", "login-en"])
def test_placeholder_pages_render_under_the_policy_without_errors(page, console_errors, live_server, screenshot, axe,
                                                                  path, language, heading):
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == heading
    # htmx loaded from the vendor folder and took its configuration from the meta tag.
    assert page.evaluate("() => window.htmx.config.allowEval") is False
    screenshot(page, "page")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#main"
    assert axe(page) == []
    assert console_errors == []


def test_an_unknown_page_is_shown_as_a_page(page, console_errors, live_server, screenshot):
    response = page.goto(live_server + "/staff/nowhere")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "ページが見つかりません"
    screenshot(page, "not-found")
    page.get_by_role("link", name="最初のページへ戻る").click()
    assert page.url.endswith("/staff/login?next=/staff/")
    # The browser logs the 404 of the address itself; nothing else may go wrong.
    assert [e for e in console_errors if "404" not in e] == []
