"""Categories: listed with inactive ones, added with Open311 attributes, changed, deactivated."""

from __future__ import annotations

from tests.admin.helpers import audit_actions, call

NOISE = {
    "code": "noise", "name_ja": "騒音", "name_en": "Noise", "description_ja": "工事などの騒音", "group": "生活環境",
    "keywords": ["うるさい"], "first_response_days": 2, "resolution_days": 7, "duplicate_radius_m": 100,
    "attributes": [{"code": "time_of_day", "datatype": "singlevaluelist", "required": True, "description_ja": "時間帯",
                    "description_en": "Time of day", "values": [{"key": "day", "name_ja": "昼", "name_en": "Day"},
                                                                {"key": "night", "name_ja": "夜", "name_en": "Night"}]}],
}


def test_admin_creates_a_category_that_residents_then_see(client, keys):
    response = call(client, keys, "POST", "/categories", NOISE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["code"] == "noise" and body["active"] is True and body["resolution_days"] == 7
    assert body["attributes"][0]["values"][1] == {"key": "night", "name_ja": "夜", "name_en": "Night"}
    listed = call(client, keys, "GET", "/categories").get_json()
    assert listed[-1]["code"] == "noise"
    public = client.get("/api/v1/categories?lat=35.650&lon=139.780").get_json()
    assert "noise" in [c["code"] for c in public]
    assert ("category.create", "category", "noise") in audit_actions(client, keys)


def test_a_taken_category_code_is_a_conflict(client, keys):
    response = call(client, keys, "POST", "/categories", {**NOISE, "code": "road_damage"})
    assert response.status_code == 409


def test_invalid_category_fields_are_reported_per_field(client, keys):
    bad = {**NOISE, "first_response_days": -1, "resolution_days": "soon", "shape": "round",
           "attributes": [{"code": "x", "datatype": "colour", "description_ja": "色"},
                          {"code": "y", "datatype": "multivaluelist", "description_ja": "値"}]}
    response = call(client, keys, "POST", "/categories", bad)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"first_response_days", "resolution_days", "shape", "attributes"} <= set(errors)
    assert "datatype" in errors["attributes"]["0"] and "values" in errors["attributes"]["1"]
    assert "noise" not in [c["code"] for c in call(client, keys, "GET", "/categories").get_json()]


def test_resolution_cannot_be_set_before_the_first_response(client, keys):
    response = call(client, keys, "PATCH", "/categories/road_damage", {"resolution_days": 1})
    assert response.status_code == 422
    assert "resolution_days" in response.get_json()["errors"]
    road = next(c for c in call(client, keys, "GET", "/categories").get_json() if c["code"] == "road_damage")
    assert road["resolution_days"] == 10


def test_admin_updates_a_category(client, keys):
    response = call(client, keys, "PATCH", "/categories/road_damage", {"name_en": "Damaged road", "keywords": ["pothole"]})
    assert response.status_code == 200
    assert (response.get_json()["name_en"], response.get_json()["keywords"]) == ("Damaged road", ["pothole"])
    entry = call(client, keys, "GET", "/audit").get_json()["items"][0]
    assert (entry["action"], entry["before"]["name_en"], entry["after"]["name_en"]) == (
        "category.update", "Road damage", "Damaged road")


def test_a_deactivated_category_stays_listed_for_admins_but_not_for_residents(client, keys):
    assert call(client, keys, "PATCH", "/categories/graffiti", {"active": False}).status_code == 200
    listed = {c["code"]: c["active"] for c in call(client, keys, "GET", "/categories").get_json()}
    assert listed["graffiti"] is False
    assert "graffiti" not in [c["code"] for c in client.get("/api/v1/categories?lat=35.650&lon=139.780").get_json()]


def test_categories_cannot_be_deleted(client, keys):
    assert call(client, keys, "DELETE", "/categories/graffiti").status_code == 405


def test_an_unknown_category_is_not_found(client, keys):
    assert call(client, keys, "PATCH", "/categories/nothing", {"active": False}).status_code == 404


def test_attribute_without_a_code_is_a_field_error_not_a_server_error(client, keys):
    from tests.admin.helpers import call

    body = {"code": "noise", "name_ja": "騒音", "name_en": "Noise", "first_response_days": 2, "resolution_days": 5,
            "attributes": [{"datatype": "text", "required": False, "values": [{"key": "a"}]}]}
    response = call(client, keys, "POST", "/categories", body)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    errors = response.get_json()["errors"]
    assert "attributes" in errors and "0" in errors["attributes"]
