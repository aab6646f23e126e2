"""The resident pages through HTTP: the form, a plain (JavaScript-free) post, its errors,
the confirmation, and the public status page's caching."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.domain.languages import LANGUAGES
from service.extensions import db
from service.models import Follower, Photo, Report
from tests.api.test_public_view_reads import counted_statements
from tests.conftest import INSIDE

SAMPLES = Path(__file__).resolve().parents[2] / "photos" / "samples"
FORM = "/?jurisdiction=990019"


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def _form(client, lang: str = "ja") -> dict[str, str]:
    page = client.get(f"{FORM}&lang={lang}").get_data(as_text=True)
    return {"csrf_token": _hidden(page, "csrf_token"), "idempotency_key": _hidden(page, "idempotency_key")}


def _reports() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def test_the_form_in_vietnamese_lists_categories_and_their_questions_in_vietnamese(client):
    response = client.get(f"{FORM}&lang=vi")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert "Hư hỏng mặt đường" in html and "Đèn đường hỏng" in html
    assert "Có chắn làn xe không?" in html  # road_damage's question
    assert 'name="attr.lane_blocked"' in html
    assert ">Gửi</button>" in html
    assert 'enctype="multipart/form-data"' in html and 'name="photos"' in html
    assert len(_hidden(html, "idempotency_key")) >= 20


def test_a_plain_post_with_a_phone_photo_makes_one_report_even_when_sent_twice(client):
    fields = {**_form(client, "vi"), "category": "road_damage", "description": "Ổ gà lớn trên vỉa hè",
              "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"]), "attr.lane_blocked": "yes",
              "reporter_email": "an@example.jp"}
    photo = (SAMPLES / "Landscape_6.jpg").read_bytes()

    def post():
        return client.post(FORM, data={**fields, "photos": (io.BytesIO(photo), "IMG_0001.jpg")},
                           content_type="multipart/form-data")

    first = post()
    assert first.status_code == 303
    report_id = first.headers["Location"].split("/")[2]
    sent = client.get(first.headers["Location"]).get_data(as_text=True)
    token = re.search(r"<code>([^<]+)</code>", sent).group(1)
    assert report_id in sent and "Đã gửi. Xin cảm ơn." in sent
    # The token is shown once, and never in an address.
    assert token not in first.headers["Location"]
    assert "<code>" not in client.get(first.headers["Location"]).get_data(as_text=True)

    again = post()
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _reports() == 1
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    assert report.source == "web" and report.attributes == {"lane_blocked": "yes"}
    assert report.reporter_email == "an@example.jp" and report.category.code == "road_damage"
    assert db.session.scalar(select(func.count()).select_from(Photo).where(Photo.report_id == report.id)) == 1


def test_an_address_alone_places_a_report_without_coordinates(client):
    response = client.post(FORM, data={**_form(client), "category": "streetlight", "description": "街灯が消えている",
                                       "address_hint": "みなと市中央区1-1"})
    # The offline geocoder places the demo city's address: the report needs no coordinates.
    assert response.status_code == 303
    report = db.session.scalar(select(Report))
    assert report.address_hint == "みなと市中央区1-1" and report.lat is not None and report.location_source != "device"


def test_refusals_are_shown_beside_their_fields_in_the_page_language_and_nothing_is_written(client):
    response = client.post(f"{FORM}&lang=vi", data={**_form(client, "vi"), "description": " ", "lat": "north",
                                                    "reporter_email": "not-an-address"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary.index("#field-category") < summary.index("#field-lat") < summary.index("#field-description")
    assert 'id="error-category">Hãy chọn loại sự cố.' in html
    assert 'id="error-description">Hãy nhập nội dung' in html
    assert 'id="error-reporter_email">Địa chỉ e-mail không đúng định dạng.' in html
    assert 'aria-describedby="description-hint error-description" aria-invalid="true"' in html
    # What the resident typed is kept.
    assert 'value="not-an-address"' in html and 'value="north"' in html
    assert _reports() == 0


def test_an_answer_the_category_does_not_accept_is_refused_beside_the_questions(client):
    response = client.post(FORM, data={**_form(client), "category": "road_damage", "description": "穴",
                                       "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"]), "attr.lane_blocked": "maybe"})
    assert response.status_code == 422
    assert 'id="error-attributes">質問「lane_blocked」への回答を確かめてください。' in response.get_data(as_text=True)
    assert _reports() == 0


def test_a_place_outside_the_city_and_a_file_that_is_no_photo_are_refused(client):
    response = client.post(FORM, data={**_form(client, "en"), "category": "graffiti", "description": "Graffiti",
                                       "lat": "35.3", "lon": "139.6", "photos": (io.BytesIO(b"not a photo"), "a.jpg")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-photos">This photo cannot be accepted.' in html
    response = client.post(FORM, data={**_form(client, "en"), "category": "graffiti", "description": "Graffiti",
                                       "lat": "35.3", "lon": "139.6"})
    assert 'id="error-lat">This place is outside the areas served.' in response.get_data(as_text=True)
    assert _reports() == 0


def test_a_post_without_the_session_token_is_refused(client):
    response = client.post(FORM, data={"category": "graffiti", "description": "x", "lat": "35.65", "lon": "139.78"})
    assert response.status_code == 400 and _reports() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_resident_language_has_its_form(client, language: str):
    words = {"ja": "送信する", "ja-x-easy": "おくる", "en": "Send", "zh-Hans": "提交", "ko": "보내기", "vi": "Gửi", "pt": "Enviar"}
    html = client.get(f"{FORM}&lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert f">{words[language]}</button>" in html
    # The switcher keeps the jurisdiction.
    assert 'href="?jurisdiction=990019&amp;lang=ko"' in html


def _sent_report(client) -> str:
    response = client.post(FORM, data={**_form(client), "category": "graffiti", "description": "壁に落書き",
                                       "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"])})
    assert response.status_code == 303
    return response.headers["Location"].split("/")[2]


def test_the_status_page_is_public_briefly_cached_and_answers_a_poll_with_304(app, client):
    report_id = _sent_report(client)
    visitor = app.test_client()
    page = visitor.get(f"/reports/{report_id}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Graffiti" in html and "壁に落書き" in html and report_id in html
    assert page.headers["Cache-Control"] == "public, max-age=5"
    # A page a proxy may keep holds no session and no form token.
    assert "Set-Cookie" not in page.headers or "machikoe_session" not in page.headers["Set-Cookie"]
    assert "csrf" not in html
    # A poll of the unchanged page reads no more than the report's stamp: not the report.
    with counted_statements() as statements:
        poll = visitor.get(f"/reports/{report_id}?lang=en", headers={"If-None-Match": page.headers["ETag"]})
    assert poll.status_code == 304 and poll.data == b""
    assert len(statements) <= 1
    api = visitor.get(f"/api/v1/reports/{report_id}")
    assert api.headers["ETag"] != page.headers["ETag"]
    # Private data stays private.
    assert "reporter" not in html and "tracking" not in html.lower()


def test_a_hidden_or_unknown_report_has_no_page(client):
    report_id = _sent_report(client)
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    report.hidden = True
    db.session.commit()
    assert client.get(f"/reports/{report_id}").status_code == 404
    assert client.get("/reports/nosuchreport").status_code == 404


def test_a_jurisdiction_that_keeps_reports_off_the_web_shows_none(app, client, tmp_path):
    report_id = _sent_report(client)
    sites = tmp_path / "sites.json"
    sites.write_text('{"990019": {"name": {"ja": "Mレポ"}, "colour": "#123456", "public_reports": false}}', encoding="utf-8")
    before = app.config.get("RESIDENT_SITES_FILE", "")
    app.config["RESIDENT_SITES_FILE"] = str(sites)
    try:
        page = client.get(f"/reports/{report_id}")
        html = page.get_data(as_text=True)
        assert page.status_code == 404 and "通報は公開されていません" in html and "壁に落書き" not in html
        form = client.get(FORM).get_data(as_text=True)
        assert "<title>まちの困りごとを知らせる" not in form and "Mレポ" in form
        assert client.get("/site/990019.css").get_data(as_text=True).strip().endswith("--brand: #123456; }")
    finally:
        app.config["RESIDENT_SITES_FILE"] = before


def test_a_new_branding_is_not_hidden_behind_the_pages_old_tag(app, client, tmp_path):
    report_id = _sent_report(client)
    page = client.get(f"/reports/{report_id}")
    sites = tmp_path / "sites.json"
    sites.write_text('{"990019": {"name": {"ja": "Mレポ"}, "colour": "#123456"}}', encoding="utf-8")
    app.config["RESIDENT_SITES_FILE"] = str(sites)

    again = client.get(f"/reports/{report_id}", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 200 and "Mレポ" in again.get_data(as_text=True)
    assert again.headers["ETag"] != page.headers["ETag"]


def test_open_reports_of_the_category_nearby_are_offered_to_follow_instead(app, client):
    neighbour = app.test_client()
    fields = {**_form(neighbour), "category": "streetlight", "description": "街灯が消えている",
              "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"] + 0.0002)}
    report_id = neighbour.post(FORM, data=fields).headers["Location"].split("/")[2]
    query = {"jurisdiction": "990019", "category": "streetlight", "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"]),
             "lang": "vi"}
    fragment = client.get("/nearby", query_string=query, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and f"/reports/{report_id}" in fragment
    assert "Cách đây khoảng 18 m" in fragment and "Đèn đường hỏng" in fragment
    # Another category, or a place past the category's radius (30 m), offers nothing.
    assert report_id not in client.get("/nearby", query_string={**query, "category": "graffiti"}).get_data(as_text=True)
    far = {**query, "lon": str(INSIDE["lon"] + 0.001)}
    assert report_id not in client.get("/nearby", query_string=far).get_data(as_text=True)

    token = re.search(r'name="csrf_token" value="([^"]+)"', fragment).group(1)
    refused = client.post(f"/reports/{report_id}/follow", data={"csrf_token": token, "email": "nope"})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0
    followed = client.post(f"/reports/{report_id}/follow?lang=vi",
                           data={"csrf_token": token, "email": "Binh@Example.jp", "email_updates": "yes"})
    assert followed.status_code == 200 and "Bạn đang theo dõi báo cáo này" in followed.get_data(as_text=True)
    follower = db.session.scalar(select(Follower))
    assert (follower.email, follower.email_updates, follower.language) == ("binh@example.jp", True, "vi")
    assert _reports() == 1


def _sent_with_token(client) -> tuple[str, str]:
    report_id = _sent_report(client)
    sent = client.get(f"/reports/{report_id}/sent").get_data(as_text=True)
    return report_id, re.search(r"<code>([^<]+)</code>", sent).group(1)


def _resolve(client, report_id: str) -> None:
    from service.domain.staff_keys import create_staff

    _, key = create_staff(db.session, name="admin", role="admin", jurisdiction_code="990019", department_code=None)
    db.session.commit()
    response = client.post(f"/api/v1/staff/reports/{report_id}/transitions", json={"to": "resolved", "public_reply": "消しました"},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.get_json()


def test_the_reporter_opens_the_own_view_with_the_token_posted_never_in_an_address(app, client):
    report_id, token = _sent_with_token(client)
    sent = client.get(f"/reports/{report_id}/sent")
    assert sent.headers["Cache-Control"] == "no-store"
    other = app.test_client()
    closed = other.get(f"/reports/{report_id}/own")
    assert closed.status_code == 200 and 'name="token"' in closed.get_data(as_text=True)
    assert closed.headers["Cache-Control"] == "no-store"
    form_token = _hidden(closed.get_data(as_text=True), "csrf_token")
    wrong = other.post(f"/reports/{report_id}/own", data={"csrf_token": form_token, "token": "not-the-token"})
    assert wrong.status_code == 403 and "own_report" not in wrong.headers.get("Set-Cookie", "")
    opened = other.post(f"/reports/{report_id}/own", data={"csrf_token": form_token, "token": token})
    assert opened.status_code == 303 and token not in opened.headers["Location"]
    cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and f"Path=/reports/{report_id}" in cookie and "SameSite=Strict" in cookie
    assert token not in cookie
    own = other.get(f"/reports/{report_id}/own").get_data(as_text=True)
    assert "自分の通報" in own and "壁に落書き" in own
    # The cookie opens this report only.
    second_id = _sent_report(client)
    assert 'name="token"' in other.get(f"/reports/{second_id}/own").get_data(as_text=True)


def test_a_resolved_report_is_rated_from_the_own_view_and_not_fixed_reopens_it(app, client):
    report_id, token = _sent_with_token(client)
    page = client.get(f"/reports/{report_id}/own").get_data(as_text=True)
    form_token = _hidden(page, "csrf_token")
    client.post(f"/reports/{report_id}/own", data={"csrf_token": form_token, "token": token})
    assert "対応を評価する" not in client.get(f"/reports/{report_id}/own").get_data(as_text=True)
    _resolve(client, report_id)
    own = client.get(f"/reports/{report_id}/own?lang=en").get_data(as_text=True)
    assert "Rate how it was handled" in own and "消しました" in own
    incomplete = client.post(f"/reports/{report_id}/rating", data={"csrf_token": form_token, "score": "3"})
    assert incomplete.status_code == 422
    rated = client.post(f"/reports/{report_id}/rating",
                        data={"csrf_token": form_token, "score": "2", "fixed": "no", "comment": "まだ残っています"})
    assert rated.status_code == 200 and "Thank you for your rating." in rated.get_data(as_text=True)
    db.session.expire_all()
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    assert report.status == "in_progress"
    # Without the cookie no one else rates it.
    assert app.test_client().post(f"/reports/{report_id}/rating", data={"score": "5", "fixed": "yes"}).status_code in (400, 403)


def test_the_public_map_lists_reports_with_filters_and_links(app, client):
    graffiti = _sent_report(client)
    streetlight = client.post(FORM, data={**_form(client), "category": "streetlight", "description": "消えている",
                                          "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"])}).headers["Location"].split("/")[2]
    html = client.get("/map?lang=en").get_data(as_text=True)
    assert f'href="/reports/{graffiti}"' in html and f'href="/reports/{streetlight}"' in html
    assert "List (2)" in html and 'data-lat="35.65' in html
    only_lights = client.get("/map?category=streetlight").get_data(as_text=True)
    assert f"/reports/{streetlight}" in only_lights and f"/reports/{graffiti}" not in only_lights
    closed = client.get("/map?status=closed").get_data(as_text=True)
    assert f"/reports/{graffiti}\"" not in closed and "No report matches." in closed
    sites = Path(app.config["DATA_DIR"]) / "private-sites.json"
    sites.write_text('{"990019": {"public_reports": false}}', encoding="utf-8")
    before = app.config.get("RESIDENT_SITES_FILE", "")
    app.config["RESIDENT_SITES_FILE"] = str(sites)
    try:
        hidden = client.get("/map")
        assert hidden.status_code == 404 and f"/reports/{graffiti}" not in hidden.get_data(as_text=True)
    finally:
        app.config["RESIDENT_SITES_FILE"] = before
