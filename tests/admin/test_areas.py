"""Areas: listed, read with geometry, imported from GeoJSON, deleted with their rules."""

from __future__ import annotations

import io
import json

from tests.admin.helpers import BASE, audit_actions, call


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(name: str | None, code: str | None, geometry: dict) -> dict:
    properties = {k: v for k, v in (("name", name), ("code", code)) if v is not None}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


DISTRICTS = {"type": "FeatureCollection", "features": [feature("港北地区", "kohoku", square(139.77, 35.63)),
                                                       feature("港南地区", "konan", square(139.79, 35.63))]}


LINE = {"type": "LineString", "coordinates": [[139.7, 35.6], [139.8, 35.7]]}


def upload(client, keys, data: dict):
    return client.post(BASE + "/areas/import", data=data, content_type="multipart/form-data", headers=keys.header("admin"))


def areas(client, keys, query: str = "") -> list[dict]:
    response = call(client, keys, "GET", "/areas" + query)
    assert response.status_code == 200
    return response.get_json()


def test_admin_lists_areas_without_geometry_by_default(client, keys):
    listed = areas(client, keys)
    assert [(a["layer"], a["code"]) for a in listed] == [
        ("park", "central-park"), ("ward", "chuo"), ("ward", "kita"), ("ward", "minami")]
    assert "geometry" not in listed[0]
    assert listed[1]["name"] == "中央区" and listed[1]["name_en"] == "Chuo Ward"


def test_areas_filter_by_layer_and_include_geometry_on_request(client, keys):
    listed = areas(client, keys, "?layer=ward&geometry=true")
    assert [a["code"] for a in listed] == ["chuo", "kita", "minami"]
    assert listed[0]["geometry"]["type"] == "Polygon"


def test_an_area_is_read_with_its_geometry(client, keys):
    chuo = next(a for a in areas(client, keys) if a["code"] == "chuo")
    response = call(client, keys, "GET", f"/areas/{chuo['id']}")
    assert response.status_code == 200
    assert response.get_json()["geometry"]["coordinates"][0][0] == [139.76, 35.64]
    assert call(client, keys, "GET", "/areas/999999").status_code == 404


def test_a_geojson_body_is_imported_into_a_layer(client, keys):
    response = call(client, keys, "POST", "/areas/import?layer=district", DISTRICTS)
    assert response.status_code == 200
    assert response.get_json() == {"layer": "district", "created": 2, "updated": 0}
    assert [(a["code"], a["name"]) for a in areas(client, keys, "?layer=district")] == [("kohoku", "港北地区"), ("konan", "港南地区")]
    entry = call(client, keys, "GET", "/audit").get_json()["items"][0]
    assert (entry["action"], entry["target"], entry["after"]["codes"]) == ("area.import", {"type": "layer", "id": "district"},
                                                                           ["kohoku", "konan"])


def test_a_multipart_file_is_imported_and_replaces_areas_with_the_same_code(client, keys):
    call(client, keys, "POST", "/areas/import?layer=district", DISTRICTS)
    renamed = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"label": "新港北", "code": "kohoku"},
                                                          "geometry": square(139.77, 35.63, 0.02)}]}
    file = (io.BytesIO(json.dumps(renamed).encode()), "districts.geojson")
    data = {"layer": "district", "name_property": "label", "file": file}
    response = upload(client, keys, data)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"layer": "district", "created": 0, "updated": 1}
    assert [(a["code"], a["name"]) for a in areas(client, keys, "?layer=district")] == [("kohoku", "新港北"), ("konan", "港南地区")]


def test_a_bad_feature_is_refused_naming_it_and_nothing_is_imported(client, keys):
    broken = {"type": "FeatureCollection", "features": [feature("港北地区", "kohoku", square(139.77, 35.63)),
                                                        feature("線", "line", LINE)]}
    response = call(client, keys, "POST", "/areas/import?layer=district", broken)
    assert response.status_code == 422
    assert "feature 1" in response.get_json()["detail"]
    assert "file" in response.get_json()["errors"]
    assert areas(client, keys, "?layer=district") == []
    assert call(client, keys, "GET", "/audit").get_json()["items"] == []


def test_a_file_that_is_not_json_is_refused(client, keys):
    data = {"layer": "district", "file": (io.BytesIO(b"\x89PNG not geojson"), "districts.geojson")}
    response = upload(client, keys, data)
    assert response.status_code == 422
    assert areas(client, keys, "?layer=district") == []


def test_an_import_needs_a_valid_layer(client, keys):
    for query in ("", "?layer=Bad%20Layer", "?layer=district&colour=red"):
        response = call(client, keys, "POST", "/areas/import" + query, DISTRICTS)
        assert response.status_code == 422, query
    assert set(response.get_json()["errors"]) == {"colour"}


def test_an_import_in_another_format_is_unsupported(client, keys):
    response = client.post("/api/v1/staff/admin/areas/import?layer=district", data="kohoku", content_type="text/plain",
                           headers=keys.header("admin"))
    assert response.status_code == 415


def test_deleting_an_area_removes_the_rules_that_name_it(client, keys):
    park = next(a for a in areas(client, keys) if a["code"] == "central-park")
    response = call(client, keys, "DELETE", f"/areas/{park['id']}")
    assert response.status_code == 204
    assert "central-park" not in [a["code"] for a in areas(client, keys)]
    assert all(r["area"] != "park:central-park" for r in call(client, keys, "GET", "/rules").get_json())
    entry = call(client, keys, "GET", "/audit").get_json()["items"][0]
    assert entry["action"] == "area.delete"
    assert [r["department"] for r in entry["before"]["rules"]] == ["parks"]
    assert ("area.delete", "area", str(park["id"])) in audit_actions(client, keys)


def test_a_name_or_code_too_long_for_its_column_is_refused_and_nothing_is_imported(client, keys):
    long_name = {"type": "FeatureCollection", "features": [feature("港北地区", "kohoku", square(139.77, 35.63)),
                                                           feature("区" * 201, "long", square(139.79, 35.63))]}
    response = call(client, keys, "POST", "/areas/import?layer=district", long_name)
    assert response.status_code == 422
    assert "feature 1" in response.get_json()["detail"] and "201 characters" in response.get_json()["detail"]
    long_code = {"type": "FeatureCollection", "features": [feature("港北地区", "k" * 101, square(139.77, 35.63))]}
    assert call(client, keys, "POST", "/areas/import?layer=district", long_code).status_code == 422
    assert areas(client, keys, "?layer=district") == []
