"""Setting up a real jurisdiction from the command line, with a 国土数値情報 N03 file."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.cli import cli
from service.extensions import db
from service.models import Area, Category, Department, Jurisdiction, RoutingRule


def square(x: float, y: float, size: float) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def n03_feature(ward: str, code: str, coordinates: list, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": {"N03_001": "千葉県", "N03_002": None, "N03_003": "千葉市", "N03_004": ward,
                                              "N03_007": code},
            "geometry": {"type": kind, "coordinates": coordinates}}


def write(tmp_path, name: str, document: dict):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_a_city_is_set_up_from_an_n03_file_and_reports_route_to_its_departments(runner, client, tmp_path):
    n03 = {"type": "FeatureCollection", "features": [
        n03_feature("中央区", "12101", square(140.10, 35.58, 0.05)),
        # 中央区 has an island: a second feature with the same code.
        n03_feature("中央区", "12101", square(140.20, 35.58, 0.01)),
        n03_feature("花見川区", "12102", [square(140.05, 35.63, 0.05)], "MultiPolygon"),
    ]}
    boundary = write(tmp_path, "chiba.geojson", n03)
    steps = [
        ["jurisdictions", "create", "--code", "121002", "--name-ja", "千葉市", "--name-en", "Chiba City",
         "--prefecture-ja", "千葉県", "--boundary", boundary],
        ["departments", "create", "--jurisdiction", "121002", "--code", "koho", "--name-ja", "広報広聴課",
         "--name-en", "Public Relations", "--fallback"],
        ["departments", "create", "--jurisdiction", "121002", "--code", "chuo-doboku", "--name-ja", "中央土木事務所",
         "--name-en", "Chuo Public Works Office"],
        ["areas", "import", boundary, "--jurisdiction", "121002", "--layer", "ward"],
        ["rules", "create", "--jurisdiction", "121002", "--department", "chuo-doboku", "--category", "road_damage",
         "--area", "ward:12101", "--priority", "10"],
    ]
    for args in steps:
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    chiba = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "121002"))
    wards = db.session.scalars(select(Area).where(Area.jurisdiction_id == chiba.id).order_by(Area.code)).all()
    # One stored form of the municipal code (N03 writes 12101), and the short ward name.
    assert [(w.code, w.name_ja) for w in wards] == [("121011", "中央区"), ("121029", "花見川区")]
    assert wards[0].geometry["type"] == "MultiPolygon"
    assert db.session.scalar(select(Category).where(Category.jurisdiction_id == chiba.id, Category.code == "other"))

    on_island = {"category": "road_damage", "description": "島の道路に穴", "lat": 35.585, "lon": 140.205}
    created = client.post("/api/v1/reports", json=on_island)
    assert created.status_code == 201
    from service.domain import processing
    from service.models import Report
    from service.pipeline import pipeline_for

    report = db.session.scalar(select(Report).where(Report.public_id == created.get_json()["id"]))
    processing.process(db.session, report.id, pipeline_for(client.application))
    public = client.get(f"/api/v1/reports/{report.public_id}").get_json()
    assert public["jurisdiction"] == "121002" and public["department"] == "中央土木事務所"
    assert public["address"] == "千葉県千葉市中央区" and public["ward"] == "中央区"


def test_reimporting_areas_replaces_them(runner, tmp_path):
    path = write(tmp_path, "parks.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Riverside Park"}, "geometry": {"type": "Polygon", "coordinates": square(139.77, 35.63, 0.002)}}]})
    first = runner.invoke(cli, ["areas", "import", path, "--jurisdiction", "990019", "--layer", "park"])
    second = runner.invoke(cli, ["areas", "import", path, "--jurisdiction", "990019", "--layer", "park"])
    assert "1 new" in first.output and "1 replaced" in second.output
    assert db.session.scalar(select(Area).where(Area.code == "riverside-park")).name_ja == "Riverside Park"


def test_a_file_that_is_not_geojson_imports_nothing(runner, tmp_path):
    before = db.session.query(Area).count()
    bad = tmp_path / "notes.txt"
    bad.write_text("this is not GeoJSON", encoding="utf-8")
    result = runner.invoke(cli, ["areas", "import", str(bad), "--jurisdiction", "990019", "--layer", "ward"])
    assert result.exit_code != 0 and "JSON" in result.output
    line = write(tmp_path, "line.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "ok"}, "geometry": {"type": "Polygon", "coordinates": square(139.77, 35.63, 0.01)}},
        {"type": "Feature", "properties": {"name": "road"}, "geometry": {"type": "LineString", "coordinates": [[139.77, 35.63], [139.78, 35.64]]}}]})
    result = runner.invoke(cli, ["areas", "import", line, "--jurisdiction", "990019", "--layer", "ward"])
    assert result.exit_code != 0 and "feature 1" in result.output
    assert db.session.query(Area).count() == before


def test_setup_refuses_unknown_references(runner):
    cases = [
        (["departments", "create", "--jurisdiction", "990018", "--code", "x", "--name-ja", "x", "--name-en", "x"], "not a valid"),
        (["rules", "create", "--jurisdiction", "990019", "--department", "nope"], "no department"),
        (["rules", "create", "--jurisdiction", "990019", "--department", "road", "--category", "nope"], "no category"),
        (["rules", "create", "--jurisdiction", "990019", "--department", "road", "--area", "ward:nope"], "no area"),
    ]
    before = db.session.query(RoutingRule).count(), db.session.query(Department).count()
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert (db.session.query(RoutingRule).count(), db.session.query(Department).count()) == before
