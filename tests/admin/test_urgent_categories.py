"""Urgent categories, their notices, department phones and what a jurisdiction does not take:
set by the admin, read by residents in their language."""

from __future__ import annotations

from tests.admin.helpers import audit_actions, call

NOTICE = {"notice_ja": "道路に穴があり危ない場合は、すぐに電話してください。", "notice_en": "If a hole is dangerous, phone at once.",
          "urgent": True, "translations": {"vi": {"notice": "Nếu ổ gà nguy hiểm, hãy gọi điện ngay."}}}
NOT_TAKEN = {"not_taken_ja": "雪の情報、私有地のことは受け付けていません。", "not_taken_en": "We do not take snow reports or private land.",
             "translations": {"vi": {"not_taken": "Chúng tôi không nhận báo cáo về tuyết hoặc đất tư nhân."}}}


def _resident_category(client, code: str, language: str) -> dict:
    body = client.get("/api/v1/categories", query_string={"lang": language}).get_json()
    return next(c for c in body if c["code"] == code and c["jurisdiction"] == "990019")


def test_an_urgent_category_tells_residents_its_departments_phone_in_their_language(client, keys):
    assert call(client, keys, "PATCH", "/departments/road", {"phone": "025-552-1511"}).status_code == 200
    changed = call(client, keys, "PATCH", "/categories/road_damage", NOTICE)
    assert changed.status_code == 200
    assert {k: changed.get_json()[k] for k in NOTICE} == NOTICE
    vietnamese = _resident_category(client, "road_damage", "vi")
    assert vietnamese["urgent"] is True and vietnamese["phone"] == "025-552-1511"
    assert vietnamese["notice"] == "Nếu ổ gà nguy hiểm, hãy gọi điện ngay."
    english = _resident_category(client, "road_damage", "en")
    assert english["notice"] == "If a hole is dangerous, phone at once." and english["phone"] == "025-552-1511"
    # Korean has no notice of its own: the Japanese one stands in.
    assert _resident_category(client, "road_damage", "ko")["notice"] == NOTICE["notice_ja"]
    other = _resident_category(client, "graffiti", "vi")
    assert other["urgent"] is False and other["phone"] is None and other["notice"] is None
    assert ("category.update", "category", "road_damage") in audit_actions(client, keys)


def test_a_category_created_urgent_shows_no_phone_until_its_department_has_one(client, keys):
    body = {"code": "fallen_tree", "name_ja": "倒木", "name_en": "Fallen tree", "first_response_days": 1,
            "resolution_days": 5, "urgent": True, "notice_ja": "道をふさいでいる場合は電話してください。"}
    created = call(client, keys, "POST", "/categories", body)
    assert created.status_code == 201 and created.get_json()["urgent"] is True
    shown = _resident_category(client, "fallen_tree", "ja")
    # No rule names it, so the fallback department takes it, and that one has no phone yet.
    assert shown["urgent"] is True and shown["phone"] is None
    call(client, keys, "PATCH", "/departments/public_hearing", {"phone": "0120-000-111"})
    assert _resident_category(client, "fallen_tree", "ja")["phone"] == "0120-000-111"


def test_the_jurisdiction_says_what_it_does_not_take_in_each_language(client, keys):
    changed = call(client, keys, "PATCH", "/jurisdiction", NOT_TAKEN)
    assert changed.status_code == 200
    assert {k: changed.get_json()[k] for k in NOT_TAKEN} == NOT_TAKEN
    assert call(client, keys, "GET", "/jurisdiction").get_json()["not_taken_ja"] == NOT_TAKEN["not_taken_ja"]
    assert client.get("/api/v1/jurisdictions/990019?lang=vi").get_json()["not_taken"] == NOT_TAKEN["translations"]["vi"]["not_taken"]
    listed = client.get("/api/v1/jurisdictions", headers={"Accept-Language": "en"}).get_json()
    assert {j["code"]: j["not_taken"] for j in listed}["990019"] == NOT_TAKEN["not_taken_en"]
    assert client.get("/api/v1/jurisdictions/990019?lang=pt").get_json()["not_taken"] == NOT_TAKEN["not_taken_ja"]
    assert ("jurisdiction.update", "jurisdiction", "990019") in audit_actions(client, keys)


def test_department_names_are_translated_as_data(client, keys):
    changed = call(client, keys, "PATCH", "/departments/road", {"translations": {"vi": {"name": "Phòng Đường bộ"}}})
    assert changed.status_code == 200 and changed.get_json()["translations"] == {"vi": {"name": "Phòng Đường bộ"}}


def test_bad_urgent_setup_is_422_and_changes_nothing(client, keys):
    for path, body, field in [
        ("/departments/road", {"phone": "call us"}, "phone"),
        ("/departments/road", {"phone": "025 552 1511"}, "phone"),
        ("/categories/road_damage", {"urgent": "maybe"}, "urgent"),
        ("/categories/road_damage", {"translations": {"xx": {"notice": "?"}}}, "translations"),
        ("/categories/road_damage", {"translations": {"vi": {"warning": "?"}}}, "translations"),
        ("/categories/road_damage", {"notice_ja": "あ" * 4001}, "notice_ja"),
        ("/jurisdiction", {"not_taken_ja": "あ" * 4001}, "not_taken_ja"),
        ("/jurisdiction", {"name_ja": "別の市"}, "name_ja"),
    ]:
        response = call(client, keys, "PATCH", path, body)
        assert response.status_code == 422, (path, body, response.get_json())
        assert response.content_type == "application/problem+json" and field in response.get_json()["errors"], body
    assert call(client, keys, "GET", "/jurisdiction").get_json()["not_taken_ja"] is None
    road = next(d for d in call(client, keys, "GET", "/departments").get_json() if d["code"] == "road")
    assert road["phone"] is None
    assert _resident_category(client, "road_damage", "ja")["urgent"] is False


def test_only_admins_change_what_the_jurisdiction_does_not_take(client, keys):
    assert call(client, keys, "PATCH", "/jurisdiction", NOT_TAKEN, who="road_manager").status_code == 403
    assert call(client, keys, "GET", "/jurisdiction", who=None).status_code == 401


def test_the_open311_service_description_starts_with_the_urgent_call_and_carries_the_notice(client, keys):
    call(client, keys, "PATCH", "/departments/road", {"phone": "025-552-1511"})
    call(client, keys, "PATCH", "/categories/road_damage", NOTICE)
    services = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "990019"},
                          headers={"Accept-Language": "en"}).get_json()
    road = next(s for s in services if s["service_code"] == "road_damage")
    assert road["description"].startswith("If it is urgent, please phone 025-552-1511\n")
    assert road["description"].endswith("\nIf a hole is dangerous, phone at once.")
    japanese = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "990019"}).get_json()
    assert next(s for s in japanese if s["service_code"] == "road_damage")["description"].startswith(
        "急ぎの場合は電話してください 025-552-1511\n")
