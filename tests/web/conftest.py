"""Browser tests: one Debian chromium for the run, driven by Playwright, against
the test app served on 127.0.0.1.

- ``live_server``: the base URL of the app (the same app and database the
  ``app`` fixture seeds), served by a thread on a free port for the session.
- ``page``: a fresh browser context and page per test; ``console_errors`` is
  every console error and uncaught exception that page logged (a violation of
  the Content-Security-Policy is one).
- ``screenshot(page, name)``: writes ``tests/web/screenshots/<test>/<name>.png``.
- ``axe(page)``: runs axe-core (``tests/web/vendor/``) in the page and returns its
  serious and critical violations.

Without /usr/bin/chromium the tests are skipped with a reason; in CI (CI=true)
they fail instead, like the tests that need PostgreSQL and Redis.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

from tests import services

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VENDOR = Path(__file__).resolve().parent / "vendor"
# axe-core is handed to the page from this address on its own origin, so the
# page's Content-Security-Policy stays as strict as in production.
AXE_PATH = "/__tests__/axe.min.js"
# Playwright waits this long at most for anything on a page.
TIMEOUT_MS = 15_000


def _axe_source() -> bytes:
    entry = next(e for e in json.loads((VENDOR / "manifest.json").read_text()) if e["name"] == "axe-core")
    return (VENDOR / f"axe-core@{entry['version']}" / "axe.min.js").read_bytes()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if services.services_required():
            pytest.fail(message + "; CI needs it", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def closed_when_sent(app):
    """``app``, its answers' bodies closed once sent or dropped.

    Werkzeug's development server skips closing a body when the browser has gone
    before the server's clean-up read (a page left while a stylesheet came), and a
    static file is then left open; a generator is closed when it is dropped.
    """

    def closing(body):
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    def serve(environ, start_response):
        return closing(app(environ, start_response))

    return serve


@pytest.fixture(scope="session")
def served(base_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, closed_when_sent(base_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture()
def live_server(app: Flask, served: str) -> str:
    """The base URL of the served app, its database emptied and seeded for this test."""
    return served


@pytest.fixture()
def page(browser, live_server: str, app: Flask) -> Iterator:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    source = _axe_source()
    context.route(f"{live_server}{AXE_PATH}",
                  lambda route: route.fulfill(status=200, body=source, content_type="text/javascript"))
    # A tile host outside the machine (the default) is answered here with a blank tile, so no
    # request leaves it; tests that serve tiles, or none, on 127.0.0.1 keep their own.
    tile, tile_host = blank_tile(), urlsplit(app.config["MAP_TILE_URL"])
    if tile_host.hostname not in ("127.0.0.1", "localhost", "::1"):
        context.route(f"{tile_host.scheme}://{tile_host.netloc}/**",
                      lambda route: route.fulfill(status=200, body=tile, content_type="image/png"))
    page = context.new_page()
    yield page
    context.close()


def blank_tile() -> bytes:
    """A plain 256 px map tile."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (232, 236, 228)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture()
def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture()
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)

    def take(page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture()
def axe(live_server: str) -> Callable[..., list[dict]]:
    def run(page) -> list[dict]:
        page.add_script_tag(url=f"{live_server}{AXE_PATH}")
        violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
                for v in violations if v["impact"] in ("serious", "critical")]

    return run


PASSWORD = "correct horse battery staple"


def make_account(app: Flask, role: str = "staff", department: str | None = "road", *, login: str | None = None,
                 totp: bool | None = None, jurisdiction: str = "990019") -> tuple[int, str, str | None]:
    """A staff member who signs in as ``login`` with :data:`PASSWORD`; returns (id, login, TOTP secret or None).

    Admins and managers always get a second factor; others when ``totp``.
    """
    from urllib.parse import parse_qs, urlsplit

    from service.commands.common import Operator
    from service.domain import signin
    from service.domain.staff_keys import create_staff
    from service.extensions import db

    login = login or f"{role}-{department or 'all'}"
    totp = role in signin.TOTP_ROLES if totp is None else totp
    with app.app_context():
        member, _ = create_staff(db.session, name=f"{role} {department or ''}".strip(), role=role,
                                 jurisdiction_code=jurisdiction, department_code=None if role == "admin" else department)
        uri = signin.set_credentials(db.session, Operator(jurisdiction_id=member.jurisdiction_id), member, login=login,
                                     password=PASSWORD, new_totp=totp, policy=signin.policy_from(app.config))
        member_id = member.id
        db.session.remove()
    secret = parse_qs(urlsplit(uri).query)["secret"][0] if uri else None
    return member_id, login, secret


def current_code(app: Flask, secret: str) -> str:
    """The TOTP code of ``secret`` at the app clock's now (the fixed clock in tests that use it)."""
    import pyotp

    return pyotp.TOTP(secret).at(app.extensions["clock"]())


def sign_in_through_form(page, live_server: str, login: str, password: str = PASSWORD, *,
                         app: Flask | None = None, secret: str | None = None, next_path: str | None = None) -> None:
    page.goto(live_server + "/staff/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    if secret is not None:
        assert app is not None
        page.wait_for_url("**/staff/login/code**")
        page.get_by_label("確認コード").fill(current_code(app, secret))
        page.get_by_role("button", name="確認").click()
    page.wait_for_load_state()


@pytest.fixture()
def signed_in(app: Flask, live_server: str) -> Callable[..., int]:
    """``signed_in(page, role="staff", department="road")``: an account made for the test, signed in
    through the real form (with its TOTP code for admin and manager); returns the staff id."""

    def sign_in(page, role: str = "staff", department: str | None = "road", **account: object) -> int:
        member_id, login, secret = make_account(app, role, department, **account)  # type: ignore[arg-type]
        sign_in_through_form(page, live_server, login, app=app, secret=secret)
        assert "/staff/login" not in page.url, f"sign-in of {login} failed: {page.url}"
        return member_id

    return sign_in
