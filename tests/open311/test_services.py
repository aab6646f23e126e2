"""Discovery, the service list and service definitions, in JSON and in XML."""

from __future__ import annotations

import pytest

from tests.open311.conftest import BASE, DISCOVERY, SERVICE_DEFINITION, SERVICES, assert_open311_error, assert_valid, xml_of


def test_discovery_names_this_endpoint_and_both_formats(client) -> None:
    body = client.get(f"{BASE}/discovery.json").get_json()
    assert_valid(body, DISCOVERY)
    assert body["endpoints"][0]["url"].endswith("/open311/v2")
    root = xml_of(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"


def test_services_list_the_category_catalogue(client) -> None:
    body = client.get(f"{BASE}/services.json").get_json()
    assert_valid(body, SERVICES)
    road = next(s for s in body if s["service_code"] == "road_damage")
    assert road["service_name"] == "道路の損傷" and road["metadata"] is True and road["group"] == "道路"
    english = client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}).get_json()
    assert next(s for s in english if s["service_code"] == "road_damage")["service_name"] == "Road damage"


def test_services_in_xml_parse_back_to_the_same_services(client) -> None:
    as_json = client.get(f"{BASE}/services.json").get_json()
    root = xml_of(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    parsed = [{child.tag: child.text or "" for child in service} for service in root.findall("service")]
    assert [p["service_code"] for p in parsed] == [s["service_code"] for s in as_json]
    assert parsed[0]["metadata"] in ("true", "false")


def test_service_definition_lists_the_category_attributes(client) -> None:
    body = client.get(f"{BASE}/services/road_damage.json").get_json()
    assert_valid(body, SERVICE_DEFINITION)
    attribute = body["attributes"][0]
    assert attribute["code"] == "lane_blocked" and attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]] == ["yes", "no"]
    root = xml_of(client.get(f"{BASE}/services/road_damage.xml"))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == ["yes", "no"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404(client, fmt: str) -> None:
    assert "service_code" in assert_open311_error(client.get(f"{BASE}/services/no_such.{fmt}"), 404, fmt)


def test_unknown_format_is_404_in_open311_shape(client) -> None:
    assert_open311_error(client.get(f"{BASE}/services.csv"), 404)


def test_unknown_jurisdiction_id_is_404(client) -> None:
    assert_open311_error(client.get(f"{BASE}/services.json?jurisdiction_id=131016"), 404)


def test_jurisdiction_id_is_required_once_two_are_served(client, second_jurisdiction: str) -> None:
    assert "jurisdiction_id" in assert_open311_error(client.get(f"{BASE}/services.xml"), 400, "xml")
    chosen = client.get(f"{BASE}/services.json?jurisdiction_id={second_jurisdiction}")
    assert chosen.status_code == 200 and chosen.get_json()
