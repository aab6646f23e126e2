"""Setting up a real jurisdiction from the command line, with a 国土数値情報 N03 file."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from shapely.geometry import Point, shape
from sqlalchemy import select

from service.cli import cli
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Area, Category, Department, Jurisdiction, Report, RoutingRule
from service.pipeline import pipeline_for
from tests.shapefiles import zipped_shapefile
from tests.worker import processed_by_worker


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
    report = db.session.scalar(select(Report).where(Report.public_id == created.get_json()["id"]))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
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


# Real 国土数値情報 polygons (see tests/data/boundaries/SOURCE.md).
BOUNDARIES = Path(__file__).parent / "data" / "boundaries"
N03_EXTRACT = str(BOUNDARIES / "n03_chiba_extract.geojson")
CHIBA_NAMES = str(BOUNDARIES / "chiba_city_names.geojson")
SHISUI_NAMES = str(BOUNDARIES / "shisui_names.geojson")
# Points well inside each polygon: 中央区's main part and its separate part by the bay, 美浜区, 酒々井町.
CHUO = (35.5862, 140.1406)
CHUO_BAYSIDE = (35.5787, 140.0944)
MIHAMA = (35.6341, 140.0620)
SHISUI = (35.7286, 140.2758)


def report_at(client, point, category="road_damage"):
    lat, lon = point
    return client.post("/api/v1/reports", json={"category": category, "description": "道路に穴", "lat": lat, "lon": lon})


def processed(client, created):
    report = db.session.scalar(select(Report).where(Report.public_id == created.get_json()["id"]))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    return client.get(f"/api/v1/reports/{report.public_id}").get_json()


def counts():
    return tuple(db.session.query(model).count() for model in (Jurisdiction, Area, Department, Category, RoutingRule))


def test_setup_from_an_n03_file_routes_every_ward_to_its_ward_office(runner, client):
    result = runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT, "--name-en", "Chiba City"])
    assert result.exit_code == 0, result.output
    assert "set up 121002 千葉県千葉市" in result.output and "next steps" in result.output
    # The extract also holds 酒々井町, which is not 千葉市's.
    assert "left out 1 areas of other municipalities" in result.output
    chiba = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "121002"))
    assert (chiba.name_ja, chiba.name_en, chiba.prefecture_ja) == ("千葉市", "Chiba City", "千葉県")
    wards = db.session.scalars(select(Area).where(Area.jurisdiction_id == chiba.id).order_by(Area.code)).all()
    assert [(w.layer, w.code, w.name_ja) for w in wards] == [("ward", "121011", "中央区"), ("ward", "121061", "美浜区")]
    assert wards[0].geometry["type"] == "MultiPolygon"

    for point, office, ward in ((CHUO, "中央区役所", "中央区"), (CHUO_BAYSIDE, "中央区役所", "中央区"),
                                (MIHAMA, "美浜区役所", "美浜区")):
        created = report_at(client, point)
        assert created.status_code == 201, created.get_json()
        public = processed(client, created)
        assert (public["department"], public["ward"], public["address"]) == (office, ward, f"千葉県千葉市{ward}")
    # The other municipality in the file was not taken into 千葉市.
    assert report_at(client, SHISUI).status_code == 422
    # The next step it suggests checks a point of the first ward.
    suggested = re.search(r"machikoe (routing explain --lat \S+ --lon \S+ --category road_damage)", result.output)
    explained = runner.invoke(cli, suggested.group(1).split())
    assert "department: ward-121011 中央区役所" in explained.output


def test_staff_filter_by_the_short_ward_name_finds_the_wards_reports(runner, client):
    assert runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT]).exit_code == 0
    for point in (CHUO, CHUO_BAYSIDE, MIHAMA):
        processed(client, report_at(client, point))
    _, key = create_staff(db.session, name="管理者", role="admin", jurisdiction_code="121002", department_code=None)
    listed = client.get("/api/v1/staff/reports", query_string={"ward": "中央区"},
                        headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert len(items) == 2 and {item["ward"] for item in items} == {"中央区"}


def test_a_name_only_file_with_one_feature_per_polygon_merges_each_ward(runner, client):
    # The 5-digit N03 form of the code is accepted as well.
    result = runner.invoke(cli, ["setup", "--code", "12100", "--boundaries", CHIBA_NAMES])
    assert result.exit_code == 0, result.output
    chiba = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "121002"))
    assert (chiba.prefecture_ja, chiba.name_ja) == ("千葉県", "千葉市")
    wards = db.session.scalars(select(Area).where(Area.jurisdiction_id == chiba.id).order_by(Area.name_ja)).all()
    assert sorted(w.name_ja for w in wards) == ["中央区", "美浜区"]
    # The bayside polygon of 中央区 belongs to 中央区 itself, not to an area of its own.
    public = processed(client, report_at(client, CHUO_BAYSIDE))
    assert (public["department"], public["ward"], public["address"]) == ("中央区役所", "中央区", "千葉県千葉市中央区")


def test_a_town_in_a_county_is_addressed_with_its_county(runner, client):
    result = runner.invoke(cli, ["setup", "--code", "123226", "--n03", N03_EXTRACT])
    assert result.exit_code == 0, result.output
    town = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "123226"))
    assert (town.prefecture_ja, town.county_ja, town.name_ja) == ("千葉県", "印旛郡", "酒々井町")
    assert db.session.query(Area).filter(Area.jurisdiction_id == town.id).count() == 0
    public = processed(client, report_at(client, SHISUI))
    assert (public["address"], public["ward"], public["department"]) == ("千葉県印旛郡酒々井町", None, "道路課")
    other = processed(client, report_at(client, SHISUI, "other"))
    assert other["department"] == "広聴課"


def test_a_town_from_a_name_only_file(runner, client):
    result = runner.invoke(cli, ["setup", "--code", "123226", "--boundaries", SHISUI_NAMES])
    assert result.exit_code == 0, result.output
    public = processed(client, report_at(client, SHISUI))
    assert public["address"] == "千葉県印旛郡酒々井町"


def test_setup_run_twice_changes_nothing_the_second_time(runner):
    first = runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT])
    after_first = counts()
    second = runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT, "--json"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert counts() == after_first
    summary = json.loads(second.output)
    assert summary["jurisdiction_created"] is False and summary["wards_replaced"] == 2
    assert summary["departments_added"] == [] and summary["rules_added"] == [] and summary["categories_added"] == []


def test_setup_dry_run_prints_the_plan_and_writes_nothing(runner):
    before = counts()
    result = runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would set up 121002 千葉県千葉市" in result.output and "ward:121011  中央区" in result.output
    assert "nothing was written" in result.output
    assert counts() == before


def test_setup_refuses_a_file_without_the_municipality(runner):
    before = counts()
    result = runner.invoke(cli, ["setup", "--code", "131016", "--n03", N03_EXTRACT])
    assert result.exit_code != 0 and "holds no area of municipality 131016" in result.output
    assert "Traceback" not in result.output
    assert counts() == before


def test_areas_of_another_place_are_refused_unless_forced(runner):
    before = counts()
    refused = runner.invoke(cli, ["areas", "import", CHIBA_NAMES, "--jurisdiction", "990019", "--layer", "ward"])
    assert refused.exit_code != 0 and "outside" in refused.output and "--force" in refused.output
    assert counts() == before
    n03 = runner.invoke(cli, ["areas", "import", N03_EXTRACT, "--jurisdiction", "990019", "--layer", "ward"])
    assert n03.exit_code != 0 and "holds no area of" in n03.output
    forced = runner.invoke(cli, ["areas", "import", CHIBA_NAMES, "--jurisdiction", "990019", "--layer", "chiba",
                                 "--force"])
    assert forced.exit_code == 0 and "warning: area" in forced.output and "100 % outside" in forced.output


def test_areas_import_dry_run_says_what_was_repaired(runner, tmp_path):
    bow_tie = [[[139.775, 35.645], [139.785, 35.655], [139.785, 35.645], [139.775, 35.655], [139.775, 35.645]]]
    unclosed = [[[139.770, 35.640], [139.772, 35.640], [139.772, 35.642], [139.770, 35.642]]]
    path = write(tmp_path, "drawn.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "bow"}, "geometry": {"type": "Polygon", "coordinates": bow_tie}},
        {"type": "Feature", "properties": {"name": "open"}, "geometry": {"type": "Polygon", "coordinates": unclosed}}]})
    before = counts()
    result = runner.invoke(cli, ["areas", "import", path, "--jurisdiction", "990019", "--layer", "park", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "feature 0: an invalid polygon (Self-intersection" in result.output
    assert "into 2 polygons" in result.output and "feature 1: an unclosed ring was closed" in result.output
    assert "would add park:bow bow" in result.output and "nothing was written" in result.output
    assert counts() == before


def test_a_zipped_shift_jis_shapefile_sets_up_a_city(runner, client, tmp_path):
    keys = ("N03_001", "N03_002", "N03_003", "N03_004", "N03_007")
    features = json.loads(Path(N03_EXTRACT).read_text(encoding="utf-8"))["features"]
    archive = tmp_path / "N03-23_12_230101.zip"
    archive.write_bytes(zipped_shapefile("N03-23_12_230101", keys, [
        (feature["geometry"]["coordinates"], [feature["properties"][k] or "" for k in keys]) for feature in features]))
    with zipfile.ZipFile(archive) as bundle:
        assert "千葉県".encode("cp932") in bundle.read("N03-23_12_230101.dbf")

    result = runner.invoke(cli, ["setup", "--code", "121002", "--n03", str(archive)])
    assert result.exit_code == 0, result.output
    public = processed(client, report_at(client, MIHAMA))
    assert (public["department"], public["address"]) == ("美浜区役所", "千葉県千葉市美浜区")


def test_shift_jis_geojson_is_refused_with_a_clear_message(runner, tmp_path):
    path = tmp_path / "sjis.geojson"
    path.write_bytes(Path(CHIBA_NAMES).read_text(encoding="utf-8").encode("cp932"))
    result = runner.invoke(cli, ["setup", "--code", "121002", "--boundaries", str(path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output and "Traceback" not in result.output


def test_area_references_take_either_form_of_the_municipal_code(runner):
    assert runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT]).exit_code == 0
    for ref in ("ward:121061", "ward:12106"):
        result = runner.invoke(cli, ["rules", "create", "--jurisdiction", "12100", "--department", "parks",
                                     "--category", "park_equipment", "--area", ref, "--priority", "5"])
        assert result.exit_code == 0, (ref, result.output)
    rules = db.session.scalars(select(RoutingRule).where(RoutingRule.priority == 5)).all()
    assert len(rules) == 2 and rules[0].area_id == rules[1].area_id is not None


def test_routing_explain_names_the_deciding_rule(runner):
    assert runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT]).exit_code == 0
    lat, lon = CHUO_BAYSIDE
    result = runner.invoke(cli, ["routing", "explain", "--lat", str(lat), "--lon", str(lon), "--category",
                                 "road_damage", "--json"])
    assert result.exit_code == 0, result.output
    explained = json.loads(result.output)
    assert explained["jurisdiction"]["code"] == "121002"
    assert explained["areas"] == [{"layer": "ward", "code": "121011", "name_ja": "中央区"}]
    assert explained["department"]["code"] == "ward-121011"
    chosen = [rule for rule in explained["rules"] if rule["why"] == "chosen"]
    assert len(chosen) == 1 and chosen[0]["area"] == "ward:121011"
    assert any(r["why"] == "matches, but another rule wins" and r["department"] == "road" for r in explained["rules"])
    table = runner.invoke(cli, ["routing", "explain", "--lat", str(lat), "--lon", str(lon), "--category", "road_damage"])
    assert "department: ward-121011 中央区役所" in table.output
    outside = runner.invoke(cli, ["routing", "explain", "--lat", "35.3", "--lon", "139.6", "--category", "road_damage"])
    assert "outside every jurisdiction" in outside.output


def test_a_jurisdiction_created_bare_routes_its_first_report_to_its_fallback(runner, client):
    result = runner.invoke(cli, ["jurisdictions", "create", "--code", "123226", "--name-ja", "酒々井町",
                                 "--name-en", "Shisui", "--prefecture-ja", "千葉県", "--county-ja", "印旛郡",
                                 "--boundary", SHISUI_NAMES])
    assert result.exit_code == 0, result.output
    public = processed(client, report_at(client, SHISUI))
    assert public["department"] == "広聴課" and public["address"] == "千葉県印旛郡酒々井町"


def test_setup_takes_the_outline_from_a_boundary_file_when_given(runner, client):
    # An outline of another place leaves every ward outside it.
    before = counts()
    result = runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT, "--boundary", SHISUI_NAMES])
    assert result.exit_code != 0 and "lies 100 % outside 千葉市" in result.output
    assert counts() == before
    result = runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT, "--boundary", CHIBA_NAMES])
    assert result.exit_code == 0, result.output
    outline = shape(db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "121002")).boundary)
    assert outline.covers(Point(CHUO_BAYSIDE[1], CHUO_BAYSIDE[0])) and outline.covers(Point(MIHAMA[1], MIHAMA[0]))


def test_wards_stored_with_their_full_name_are_not_addressed_twice(runner, client):
    assert runner.invoke(cli, ["setup", "--code", "121002", "--n03", N03_EXTRACT]).exit_code == 0
    # As earlier imports stored them: the full name, no name parts.
    for ward in db.session.scalars(select(Area).where(Area.layer == "ward", Area.code.in_(["121011", "121061"]))):
        ward.name_ja = f"千葉県千葉市{ward.name_ja}"
        ward.properties = {}
    db.session.commit()
    public = processed(client, report_at(client, MIHAMA))
    assert (public["address"], public["ward"]) == ("千葉県千葉市美浜区", "美浜区")
