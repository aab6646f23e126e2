"""Jurisdictions for the app's map: light boundaries in the list, the exact one on request."""

from __future__ import annotations

from pathlib import Path

from shapely.geometry import Point, shape

from service.cli import cli

BOUNDARIES = Path(__file__).parent.parent / "data" / "boundaries"
CHUO_BAYSIDE = Point(140.0944, 35.5787)


def set_up_chiba(runner) -> None:
    result = runner.invoke(cli, ["setup", "--code", "121002", "--n03", str(BOUNDARIES / "n03_chiba_extract.geojson")])
    assert result.exit_code == 0, result.output


def test_the_list_carries_boundaries_simplified_for_a_map(runner, client):
    set_up_chiba(runner)
    listed = client.get("/api/v1/jurisdictions")
    exact = client.get("/api/v1/jurisdictions/121002", query_string={"boundary": "exact"}).get_json()
    chiba = next(j for j in listed.get_json() if j["code"] == "121002")
    assert chiba["boundary_precision"] == "display" and exact["boundary_precision"] == "exact"
    simplified, full = shape(chiba["boundary"]), shape(exact["boundary"])
    # The samples are simplified already (20 m); full N03 files shrink far more.
    assert len(str(chiba["boundary"])) < 0.8 * len(str(exact["boundary"]))
    # Simplification moves the outline by metres, never by a ward.
    assert abs(simplified.area - full.area) / full.area < 0.02
    assert simplified.covers(CHUO_BAYSIDE) and full.covers(CHUO_BAYSIDE)
    west, south, east, north = chiba["bbox"]
    assert (west, south, east, north) == tuple(round(v, 6) for v in full.bounds)


def test_one_jurisdiction_by_either_form_of_its_code(runner, client):
    set_up_chiba(runner)
    six = client.get("/api/v1/jurisdictions/121002")
    five = client.get("/api/v1/jurisdictions/12100")
    assert six.status_code == five.status_code == 200
    assert six.get_json() == five.get_json() and six.get_json()["name_ja"] == "千葉市"


def test_unknown_jurisdiction_and_bad_precision_are_problems(client):
    missing = client.get("/api/v1/jurisdictions/131016")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    bad = client.get("/api/v1/jurisdictions/990019", query_string={"boundary": "fine"})
    assert bad.status_code == 422 and "boundary" in bad.get_json()["errors"]


def test_open_data_and_open311_take_either_form_of_the_code(client):
    six = client.get("/api/v1/opendata/reports.geojson", query_string={"jurisdiction": "990019"})
    five = client.get("/api/v1/opendata/reports.geojson", query_string={"jurisdiction": "99001"})
    assert six.status_code == five.status_code == 200 and six.get_json() == five.get_json()
    services = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "99001"})
    assert services.status_code == 200 and len(services.get_json()) > 0
