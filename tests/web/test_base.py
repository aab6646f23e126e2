"""The web base: pages beside the API, their headers, languages, static files and error pages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from service.web import vendoring
from service.web.locale import CATALOGUES

PAGES = ("/", "/staff/login")


@pytest.mark.parametrize("folder", [vendoring.SERVED_DIR, vendoring.TEST_DIR], ids=["served", "tests"])
def test_every_vendored_file_matches_its_manifest(folder: Path):
    manifest = vendoring.read_manifest(folder)
    assert {e["name"] for e in manifest} == {p.name for p in vendoring.PACKAGES if p.folder == folder}
    listed = set()
    for entry in manifest:
        assert entry["version"] and entry["licence"]
        for file in entry["files"]:
            path = folder / file["path"]
            assert vendoring.sha256(path) == file["sha256"], f"{path} differs from its manifest"
            listed.add(path)
        assert any("LICEN" in f["path"].upper() for f in entry["files"]), f"{entry['name']} has no licence text"
    on_disk = {p for p in folder.rglob("*") if p.is_file() and p.name != vendoring.MANIFEST}
    assert on_disk == listed, "files in the vendor folder that the manifest does not list"


def test_compiled_catalogues_are_up_to_date_with_their_sources():
    sources = [po for folder in CATALOGUES for po in folder.glob("*/LC_MESSAGES/messages.po")]
    assert sources, "no catalogue at all"
    for po in sources:
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue)
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.read_bytes() == compiled.getvalue(), f"run pybabel compile: {mo} is stale"


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_strict_content_security_policy(client, path: str):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data: https://cyberjapandata.gsi.go.jp"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_staff_pages_are_never_stored_and_resident_pages_are_revalidated(client):
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-cache"


def test_htmx_is_configured_to_run_without_eval_or_inline_script(client):
    body = client.get("/").get_data(as_text=True)
    config = body.split('<meta name="htmx-config" content=\'', 1)[1].split("'", 1)[0]
    assert json.loads(config)["allowEval"] is False
    assert json.loads(config)["includeIndicatorStyles"] is False
    # Settling copies attributes onto swapped elements; a style attribute would break the policy.
    assert "style" not in json.loads(config)["attributesToSettle"]
    assert "<script>" not in body and " style=" not in body
    assert '/static/vendor/htmx.org@' in body


def test_vendored_files_are_kept_for_a_year_and_the_pages_own_files_revalidated(client):
    body = client.get("/").get_data(as_text=True)
    htmx = body.split('<script src="', 1)[1].split('"', 1)[0]
    with client.get(htmx) as vendored:
        assert vendored.status_code == 200 and vendored.mimetype == "text/javascript"
        assert "max-age=31536000" in vendored.headers["Cache-Control"] and "immutable" in vendored.headers["Cache-Control"]
    with client.get("/static/web/base.css") as own:
        assert own.status_code == 200 and own.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/vendor/../../__init__.py").status_code == 404


def test_a_tile_host_setting_is_allowed_for_images(app):
    from service.web.headers import content_security_policy

    assert "img-src 'self' data: http://127.0.0.1:8123;" in content_security_policy("http://127.0.0.1:8123/{z}/{x}/{y}.png")


def test_the_language_follows_the_query_then_the_cookie_then_accept_language(client):
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}).get_data(as_text=True)
    chosen = client.get("/staff/login?lang=en")
    assert '<html lang="en">' in chosen.get_data(as_text=True) and "Machikoe staff" in chosen.get_data(as_text=True)
    assert "lang=en" in chosen.headers["Set-Cookie"]
    # Remembered: the next page is English without asking, over the browser's Japanese.
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/?lang=ja").get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/?lang=xx").get_data(as_text=True)


def test_an_unknown_page_is_an_html_page_and_an_unknown_api_path_stays_problem_json(client):
    staff = client.get("/staff/nowhere")
    assert staff.status_code == 404 and staff.mimetype == "text/html"
    assert "ページが見つかりません" in staff.get_data(as_text=True)
    assert "Content-Security-Policy" in staff.headers
    browser = client.get("/nowhere", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 404 and browser.mimetype == "text/html"
    for path, headers in (("/nowhere", {}), ("/api/v1/nowhere", {"Accept": "text/html"})):
        api = client.get(path, headers=headers)
        assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert client.get("/api/v1/reports/999999").mimetype == "application/problem+json"


@pytest.mark.parametrize(("language", "title", "back"), [
    ("vi", "Không tìm thấy trang", "Về trang đầu"),
    ("ko", "페이지를 찾을 수 없습니다", "첫 페이지로 돌아가기"),
    ("pt", "Página não encontrada", "Voltar à página inicial"),
    ("zh-Hans", "找不到页面", "返回首页"),
    ("ja-x-easy", "ページが ありません", "はじめの ページに もどる"),
    ("en", "Page not found", "Back to the start page"),
])
def test_an_unknown_resident_page_says_so_in_the_residents_language(client, language, title, back):
    response = client.get("/reports/nosuchreport", headers={"Accept": "text/html", "Accept-Language": f"{language},ja;q=0.5"})
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert f'<html lang="{language}">' in text and title in text and back in text


def test_a_wrong_method_on_a_page_is_an_html_page_that_says_what_is_allowed(client):
    response = client.delete("/staff/login")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"]
