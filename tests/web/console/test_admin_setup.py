"""The setup pages without a browser: what a form refuses and says beside the field, and the audit rows a change leaves."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from service.extensions import db
from service.models import Area, AuditEntry, Department
from tests.shapefiles import zipped_shapefile
from tests.web.console.conftest import csrf_token


def post(client, path: str, data: dict, *, page: str | None = None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def audit_rows(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{name}-error">([^<]*)</p>', html)
    assert found, f"no error beside {name}"
    return found.group(1)


def test_department_created_with_two_names_is_audited(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments", {"code": "water", "name_ja": "水道課", "name_en": "Waterworks",
                                                         "email": "suido@example.jp", "active": "1"})
    assert response.status_code == 303
    page = client.get("/staff/admin/departments").get_data(as_text=True)
    assert "水道課" in page and "Waterworks" in page
    (row,) = audit_rows("department.create")
    assert row.target_id == "water" and row.after["name_en"] == "Waterworks" and row.after["email"] == "suido@example.jp"
    assert row.staff_id is not None


def test_department_form_shows_errors_beside_fields_and_writes_nothing(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments", {"code": "Water!", "name_ja": "", "name_en": "Waterworks",
                                                         "email": "not-an-address"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "英小文字" in field_error(html, "code")
    assert field_error(html, "name_ja") == "入力してください。"
    assert field_error(html, "email") == "メールアドレスの形式が正しくありません。"
    assert 'value="Waterworks"' in html
    assert db.session.scalar(select(Department).where(Department.code == "Water!")) is None
    assert audit_rows("department.create") == []


def test_department_code_taken_is_refused_beside_the_code(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments", {"code": "road", "name_ja": "道路課2", "name_en": "Roads 2"})
    assert response.status_code == 409
    assert field_error(response.get_data(as_text=True), "code") == "このコードの課はすでにあります。"


def test_department_edited_and_a_used_one_not_deleted(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/departments/road", {"name_ja": "道路管理課", "name_en": "Road Management",
                                                              "active": "1"})
    assert response.status_code == 303
    (row,) = audit_rows("department.update")
    assert row.before["name_ja"] == "道路課" and row.after["name_ja"] == "道路管理課"
    refused = post(client, "/staff/admin/departments/road/delete", {}, page="/staff/admin/departments/road")
    assert refused.status_code == 409
    assert "削除できません" in refused.get_data(as_text=True)
    assert audit_rows("department.delete") == []


CATEGORY = {"code": "snow", "name_ja": "除雪", "name_en": "Snow clearing", "first_response_days": "2",
            "resolution_days": "10", "keywords": "雪\n除雪", "active": "1",
            "attributes-0-code": "size", "attributes-0-datatype": "singlevaluelist", "attributes-0-required": "1",
            "attributes-0-description_ja": "大きさは？", "attributes-0-description_en": "How large?",
            "attributes-0-values": "small,小さい,Small\nlarge,大きい,Large"}


def test_category_created_with_sla_and_a_question_is_audited(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/categories", CATEGORY)
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/admin/categories/snow")
    (row,) = audit_rows("category.create")
    after = row.after
    assert (after["name_ja"], after["name_en"], after["first_response_days"], after["resolution_days"]) == \
        ("除雪", "Snow clearing", 2, 10)
    assert after["keywords"] == ["雪", "除雪"]
    assert after["attributes"][0]["values"] == [{"key": "small", "name_ja": "小さい", "name_en": "Small"},
                                                {"key": "large", "name_ja": "大きい", "name_en": "Large"}]
    html = client.get("/staff/admin/categories/snow").get_data(as_text=True)
    assert 'value="大きさは？"' in html and "small,小さい,Small" in html


def test_category_form_refuses_resolution_before_first_response_and_a_list_without_choices(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/categories", {**CATEGORY, "first_response_days": "5", "resolution_days": "2"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "resolution_days") == "解決の目標日数は、初回対応の目標日数以上にしてください。"
    response = post(client, "/staff/admin/categories", {**CATEGORY, "attributes-0-values": "", "first_response_days": "x"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "first_response_days") == "整数で入力してください。"
    assert field_error(html, "attributes-0-values") == "A list attribute needs values."
    assert 'value="大きさは？"' in html
    assert audit_rows("category.create") == []


def test_category_edited_and_its_template_added_and_changed(signed_in_client):
    client = signed_in_client("admin None")
    edit = "/staff/admin/categories/road_damage"
    html = client.get(edit).get_data(as_text=True)
    assert "道路" in html
    response = post(client, edit, {"name_ja": "道路の損傷", "name_en": "Road surface damage", "first_response_days": "1",
                                   "resolution_days": "15", "active": "1"})
    assert response.status_code == 303
    (row,) = audit_rows("category.update")
    assert row.after["name_en"] == "Road surface damage" and row.after["resolution_days"] == 15
    refused = post(client, edit + "/templates", {"title": "", "body_ja": "対応します", "status": "nope", "active": "1"},
                   page=edit)
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "title") == "入力してください。"
    assert field_error(refused.get_data(as_text=True), "status") == "選択肢から選んでください。"
    added = post(client, edit + "/templates", {"title": "補修しました", "body_ja": "道路を補修しました。", "body_en": "We repaired it.",
                                               "status": "resolved", "active": "1"}, page=edit)
    assert added.status_code == 303
    (created,) = audit_rows("response_template.create")
    assert created.after["category"] == "road_damage" and created.after["status"] == "resolved"
    path = f"{edit}/templates/{created.target_id}"
    changed = post(client, path, {"title": "補修完了", "body_ja": "道路の補修が終わりました。", "status": "", "active": "1"})
    assert changed.status_code == 303
    (updated,) = audit_rows("response_template.update")
    assert updated.after["title"] == "補修完了" and updated.after["status"] is None
    assert "補修完了" in client.get(edit).get_data(as_text=True)


def test_rule_created_edited_deleted_and_explained(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/rules", {"category": "graffiti", "area": "ward:kita", "department": "environment",
                                                   "priority": "5"})
    assert response.status_code == 303
    (created,) = audit_rows("rule.create")
    assert created.after == {**created.after, "category": "graffiti", "area": "ward:kita", "department": "environment",
                             "priority": 5}
    explained = client.get("/staff/admin/rules", query_string={"lat": "35.672", "lon": "139.772", "category": "graffiti"})
    html = explained.get_data(as_text=True)
    assert f"ルール #{created.target_id} により" in html
    rule = f"/staff/admin/rules/{created.target_id}"
    assert post(client, rule, {"department": "road", "priority": "7"}).status_code == 303
    (updated,) = audit_rows("rule.update")
    assert (updated.before["department"], updated.after["department"], updated.after["priority"]) == ("environment", "road", 7)
    assert post(client, rule + "/delete", {}, page=rule).status_code == 303
    (deleted,) = audit_rows("rule.delete")
    assert deleted.before["department"] == "road"


def test_rule_category_and_area_changed_and_the_explain_tool_follows(signed_in_client):
    client = signed_in_client("admin None")
    assert post(client, "/staff/admin/rules", {"category": "graffiti", "area": "ward:kita", "department": "environment",
                                               "priority": "5"}).status_code == 303
    (created,) = audit_rows("rule.create")
    rule = f"/staff/admin/rules/{created.target_id}"
    form = client.get(rule).get_data(as_text=True)
    assert 'id="f-category"' in form and 'id="f-area"' in form
    # The rule now takes every category, anywhere, first: road damage in the south goes to 環境保全課 by it.
    assert post(client, rule, {"category": "", "area": "", "department": "environment", "priority": "1"}).status_code == 303
    (updated,) = audit_rows("rule.update")
    assert (updated.before["category"], updated.before["area"]) == ("graffiti", "ward:kita")
    assert (updated.after["category"], updated.after["area"]) == (None, None)
    explained = client.get("/staff/admin/rules", query_string={"lat": "35.625", "lon": "139.830", "category": "road_damage"})
    assert f"ルール #{created.target_id} により「環境保全課」に届きます。" in explained.get_data(as_text=True)
    # An unknown area is refused beside the area field, and the rule keeps what it had.
    refused = post(client, rule, {"category": "graffiti", "area": "ward:nowhere", "department": "road", "priority": "1"})
    assert refused.status_code == 422
    assert "ward:nowhere" in field_error(refused.get_data(as_text=True), "area")
    assert len(audit_rows("rule.update")) == 1
    page = client.get("/staff/admin/rules").get_data(as_text=True)
    row = re.search(rf'ルール #{created.target_id}</a></td>\s*<td>1</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>', page)
    assert row and row.groups() == ("すべての種類", "どこでも")


def test_rule_form_and_explain_form_show_errors_beside_fields(signed_in_client):
    client = signed_in_client("admin None")
    response = post(client, "/staff/admin/rules", {"category": "", "area": "", "department": "road", "priority": "soon"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "priority") == "整数で入力してください。"
    response = post(client, "/staff/admin/rules", {"category": "", "area": "", "department": "nowhere", "priority": "1"})
    assert response.status_code == 422
    assert "nowhere" in field_error(response.get_data(as_text=True), "department")
    assert audit_rows("rule.create") == []
    explained = client.get("/staff/admin/rules", query_string={"lat": "95", "lon": "east", "category": ""})
    assert explained.status_code == 422
    html = explained.get_data(as_text=True)
    assert "緯度は -90〜90" in html and "経度は -180〜180" in html and "種類を選んでください。" in html


def square(west: float, south: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


def district_file(*, outside: bool = False) -> bytes:
    features = [{"type": "Feature", "properties": {"name": "東町", "code": "higashi"}, "geometry": square(139.80, 35.64)},
                {"type": "Feature", "properties": {"name": "西町", "code": "nishi"}, "geometry": square(139.77, 35.64)}]
    if outside:
        features.append({"type": "Feature", "properties": {"name": "沖町", "code": "oki"}, "geometry": square(139.95, 35.50)})
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def upload(client, data: bytes, headers: dict[str, str] | None = None, **fields: str):
    token = csrf_token(client.get("/staff/admin/areas").get_data(as_text=True))
    return client.post("/staff/admin/areas/preview", content_type="multipart/form-data", headers=headers,
                       data={"csrf_token": token, "file": (io.BytesIO(data), "districts.geojson"), **fields})


def test_area_file_previewed_writes_nothing_then_imported_with_audit(signed_in_client):
    client = signed_in_client("admin None")
    response = upload(client, district_file(outside=True), layer="district", name_property="name", code_property="code")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3件の区域を取り込みます（新規3件、置き換え0件）" in html
    assert "沖町（oki）は、100%がみなと市の外にあります。" in html and "東町" in html
    assert db.session.scalars(select(Area).where(Area.layer == "district")).all() == []
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    shapes = client.get(f"/staff/admin/areas/preview/{token}.geojson").get_json()
    kinds = {f["properties"].get("code"): f["properties"]["kind"] for f in shapes["features"]}
    assert kinds == {"990019": "jurisdiction", "higashi": "new", "nishi": "new", "oki": "outside"}
    confirm = csrf_token(html)
    refused = client.post("/staff/admin/areas/import", data={"csrf_token": confirm, "token": token})
    assert refused.status_code == 422 and "自治体の外にある区域も取り込む" in refused.get_data(as_text=True)
    assert audit_rows("area.import") == []
    done = client.post("/staff/admin/areas/import", data={"csrf_token": confirm, "token": token, "force": "1"})
    assert done.status_code == 303
    assert sorted(db.session.scalars(select(Area.code).where(Area.layer == "district"))) == ["higashi", "nishi", "oki"]
    (row,) = audit_rows("area.import")
    assert row.target_id == "district" and row.after["codes"] == ["higashi", "nishi", "oki"]
    assert client.post("/staff/admin/areas/import", data={"csrf_token": confirm, "token": token}).status_code == 404


def test_an_area_preview_swapped_in_by_htmx_leaves_the_address_as_it_was(signed_in_client):
    client = signed_in_client("admin None")
    swapped = upload(client, district_file(), {"HX-Request": "true"}, layer="district", name_property="name",
                     code_property="code")
    assert swapped.status_code == 200 and swapped.headers["HX-Push-Url"] == "false"
    assert "2件の区域を取り込みます" in swapped.get_data(as_text=True)
    refused = upload(client, district_file(), {"HX-Request": "true"}, layer="Bad Layer")
    assert refused.status_code == 200 and "英小文字" in field_error(refused.get_data(as_text=True), "layer")
    plain = upload(client, district_file(), layer="district", name_property="name", code_property="code")
    assert plain.status_code == 200 and "HX-Push-Url" not in plain.headers
    assert db.session.scalars(select(Area).where(Area.layer == "district")).all() == []


def test_area_upload_refused_beside_its_fields(signed_in_client):
    client = signed_in_client("admin None")
    response = upload(client, b'{"type": "FeatureCollection", "features": [', layer="district")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "file")
    response = upload(client, district_file(), layer="Bad Layer")
    assert response.status_code == 422
    assert "英小文字" in field_error(response.get_data(as_text=True), "layer")
    token = csrf_token(client.get("/staff/admin/areas").get_data(as_text=True))
    response = client.post("/staff/admin/areas/preview", content_type="multipart/form-data",
                           data={"csrf_token": token, "layer": "district"})
    assert response.status_code == 422
    assert "一つ選んでください" in field_error(response.get_data(as_text=True), "file")


def test_setup_pages_refuse_non_admins_and_posts_without_csrf(signed_in_client):
    clerk = signed_in_client("staff road")
    for path in ("/staff/admin/departments", "/staff/admin/categories", "/staff/admin/rules", "/staff/admin/areas",
                 "/staff/admin/categories/road_damage"):
        assert clerk.get(path).status_code == 403, path
    assert clerk.post("/staff/admin/departments", data={"csrf_token": csrf_token(clerk.get("/staff/reports")
                                                                                 .get_data(as_text=True)),
                                                        "code": "x", "name_ja": "x", "name_en": "x"}).status_code == 403
    admin = signed_in_client("admin None")
    refused = admin.post("/staff/admin/departments", data={"code": "water", "name_ja": "水道課", "name_en": "Waterworks"})
    assert refused.status_code == 400
    assert db.session.scalar(select(Department).where(Department.code == "water")) is None
    assert audit_rows("department.create") == []


def test_setup_pages_in_english_from_the_console_catalogue(signed_in_client):
    client = signed_in_client("admin None")
    html = client.get("/staff/admin/rules", query_string={"lang": "en", "lat": "35.672", "lon": "139.772",
                                                          "category": "road_damage"}).get_data(as_text=True)
    assert "<h1>Routing rules</h1>" in html and "Explain routing" in html
    assert "sends it to “道路課”" in html
    html = client.get("/staff/admin/departments", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Add a department" in html and "Contact e-mail address" in html


def test_explain_keeps_another_jurisdictions_rules_to_itself(signed_in_client):
    client = signed_in_client("admin None")
    html = client.get("/staff/admin/rules", query_string={"lat": "35.60", "lon": "140.12", "category": "road_damage"}) \
        .get_data(as_text=True)
    assert "この地点は別の自治体（千葉市）の区域です。" in html
    assert "各ルールの判定" not in html and "広報広聴課" not in html


def test_explain_errors_reach_htmx_as_a_page_it_swaps_in(signed_in_client):
    client = signed_in_client("admin None")
    answer = client.get("/staff/admin/rules", query_string={"lat": "north", "lon": "139.7", "category": "road_damage"},
                        headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert 'id="explain-output"' in answer.get_data(as_text=True) and "緯度は -90〜90" in answer.get_data(as_text=True)


def test_a_zipped_shift_jis_shapefile_is_previewed_and_imported(signed_in_client):
    archive = zipped_shapefile("parks", ["NAME"], [(square(139.79, 35.63)["coordinates"], ["みなと北公園"])])
    client = signed_in_client("admin None")
    token = csrf_token(client.get("/staff/admin/areas").get_data(as_text=True))
    response = client.post("/staff/admin/areas/preview", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(archive), "parks.zip"),
                                 "layer": "park", "name_property": "NAME"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1件の区域を取り込みます（新規1件、置き換え0件）" in html and "みなと北公園" in html
    upload = re.search(r'name="token" value="([^"]+)"', html).group(1)
    done = client.post("/staff/admin/areas/import", data={"csrf_token": csrf_token(html), "token": upload})
    assert done.status_code == 303
    assert "みなと北公園" in client.get("/staff/admin/areas").get_data(as_text=True)


def test_category_names_in_the_other_languages_are_kept_and_checked(signed_in_client):
    client = signed_in_client("admin None")
    words = {"translations-ko-name": "제설", "translations-ja-x-easy-name": "ゆきかき",
             "translations-vi-description": "x" * 2001}
    refused = post(client, "/staff/admin/categories", {**CATEGORY, **words})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "translations-vi-description") == "2000文字以内で入力してください。"
    del words["translations-vi-description"]
    assert post(client, "/staff/admin/categories", {**CATEGORY, **words}).status_code == 303
    (row,) = audit_rows("category.create")
    assert row.after["translations"] == {"ko": {"name": "제설"}, "ja-x-easy": {"name": "ゆきかき"}}
    assert 'value="제설"' in client.get("/staff/admin/categories/snow").get_data(as_text=True)


def test_another_jurisdictions_records_are_not_found(signed_in_client):
    client = signed_in_client("admin None")
    # 千葉市's department koho exists, but not in the admin's jurisdiction.
    assert client.get("/staff/admin/departments/koho").status_code == 404
    assert client.get("/staff/admin/rules/999999").status_code == 404
    assert client.get("/staff/admin/areas/preview/" + "a" * 32 + ".geojson").status_code == 404


def test_an_urgent_category_with_notices_and_its_department_s_phone_are_kept_and_shown_again(signed_in_client):
    client = signed_in_client("admin None")
    assert post(client, "/staff/admin/departments/road", {"name_ja": "道路課", "name_en": "Roads", "phone": "025-552-1511",
                                                         "active": "1"}).status_code == 303
    form = {**CATEGORY, "urgent": "1", "notice_ja": "倒木で道がふさがっているときは電話してください。",
            "notice_en": "If a tree blocks the road, please call.", "translations-vi-notice": "Nếu cây đổ chắn đường, hãy gọi điện."}
    assert post(client, "/staff/admin/categories", form).status_code == 303
    (row,) = audit_rows("category.create")
    assert row.after["urgent"] is True and row.after["notice_ja"] == form["notice_ja"]
    assert row.after["translations"]["vi"]["notice"] == form["translations-vi-notice"]
    html = client.get("/staff/admin/categories/snow").get_data(as_text=True)
    assert "倒木で道がふさがっているときは電話してください。" in html and 'name="urgent"' in html
    assert 'value="025-552-1511"' in client.get("/staff/admin/departments/road").get_data(as_text=True)
    # A bad number is refused beside its field.
    refused = post(client, "/staff/admin/departments/road", {"name_ja": "道路課", "phone": "call us", "active": "1"})
    assert refused.status_code == 422 and field_error(refused.get_data(as_text=True), "phone")


def test_a_refused_form_answers_htmx_200_in_place_and_a_plain_post_422(signed_in_client):
    client = signed_in_client("admin None")
    token = csrf_token(client.get("/staff/admin/departments").get_data(as_text=True))
    body = {"csrf_token": token, "code": "Water!", "name_ja": "", "name_en": "Waterworks"}
    plain = client.post("/staff/admin/departments", data=body)
    assert plain.status_code == 422 and "HX-Push-Url" not in plain.headers
    swapped = client.post("/staff/admin/departments", data=body, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert swapped.status_code == 200 and swapped.headers["HX-Push-Url"] == "false"
    assert field_error(swapped.get_data(as_text=True), "name_ja") == "入力してください。"
    refused_client = client.post("/staff/admin/clients", data={"csrf_token": token, "name": ""},
                                 headers={"HX-Request": "true"})
    assert refused_client.status_code == 200 and "名前を200文字以内で入力してください。" in refused_client.get_data(as_text=True)
    assert db.session.scalar(select(Department).where(Department.code == "Water!")) is None
    # Every create and update form posts in place with htmx and is a plain post without it.
    for path in ("/staff/admin/departments", "/staff/admin/categories", "/staff/admin/rules", "/staff/admin/clients",
                 "/staff/admin/staff/new", "/staff/admin/subscribers/new"):
        html = client.get(path).get_data(as_text=True)
        form = re.search(r'<form method="post" action="[^"]+" hx-boost="true" hx-target="#main" hx-select="#main"', html)
        assert form, path
