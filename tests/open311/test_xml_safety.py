"""Every Open311 XML document parses, whatever text is stored, and error documents never repeat the request.

The text is written straight into the database, past every input check, so
these tests hold for rows that were stored before input was checked, or by
another path.
"""

from __future__ import annotations

from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.extensions import db
from service.models import Category, Department, HistoryEntry, Report
from tests.open311.conftest import BASE, assert_open311_error, created_id, xml_of
from tests.open311.test_get_requests import transition

# Every range of code points, each drawn from on its own so that none is left
# to chance: C0 controls, ASCII, DEL and C1 controls, the rest of the BMP below
# the surrogates, the BMP above them, the two noncharacters at its end, and the
# supplementary planes. Surrogates cannot be stored as UTF-8 at all.
RANGES = [(0x01, 0x1F), (0x20, 0x7E), (0x7F, 0x9F), (0xA0, 0xD7FF), (0xE000, 0xFFFD), (0xFFFE, 0xFFFF),
          (0x10000, 0x10FFFF)]
EVERY_RANGE_EDGE = "".join(chr(low) + chr(high) for low, high in RANGES)
character = st.sampled_from(RANGES).flatmap(lambda r: st.integers(*r)).map(chr)
texts = st.lists(character, min_size=1, max_size=12).map("".join)
NOT_XML = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF}


def as_parsed(text: str) -> str:
    """What an XML reader sees of ``text``: unusable characters replaced, line ends normalised."""
    safe = "".join("\ufffd" if ord(c) in NOT_XML else c for c in text)
    return safe.replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture()
def stored(client, app, api_key: str, road_staff_key: str, database_kind: str):
    """A processed report with public replies, whose every text field the test then overwrites."""
    public_id = created_id(client, api_key, email="resident@example.jp")
    transition(client, road_staff_key, public_id, "acknowledged", "確認しました。")
    transition(client, road_staff_key, public_id, "resolved", "補修しました。")
    # PostgreSQL text cannot hold NUL; SQLite can, so there it is tried too.
    return public_id, database_kind == "sqlite"


def store_everywhere(public_id: str, text: str) -> None:
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    report.description = text
    report.address = text
    report.address_parts = {"postcode": text}
    for entry in db.session.scalars(select(HistoryEntry).where(HistoryEntry.report_id == report.id)):
        entry.public_reply = text
    for department in db.session.scalars(select(Department)):
        department.name_ja = text[:100]
    for category in db.session.scalars(select(Category)):
        category.name_ja, category.description_ja, category.keywords, category.group = text, text, [text], text
        category.attributes = [{"code": "lane_blocked", "datatype": "singlevaluelist", "description_ja": text,
                                "datatype_description_ja": text, "values": [{"key": text, "name_ja": text}]}]
    db.session.commit()


DOCUMENTS = [
    ("/requests.xml", "service_requests"),
    ("/requests/{id}.xml", "service_requests"),
    ("/tokens/{id}.xml", "service_requests"),
    ("/servicerequestupdates.xml", "service_request_updates"),
    ("/services.xml", "services"),
    ("/services/road_damage.xml", "service_definition"),
    ("/discovery.xml", "discovery"),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
@example(text="\u0001\u000b\u001f")
@example(text="\x13")
@example(text=EVERY_RANGE_EDGE)
@example(text="\x00\r\n\t<&>]]>\"'")
def test_every_xml_document_parses_whatever_text_is_stored(client, app, stored, text: str) -> None:
    public_id, nul_allowed = stored
    if not nul_allowed:
        text = text.replace("\x00", "")
        if not text:
            return
    store_everywhere(public_id, text)
    app.config["OPEN311_CONTACT"] = text
    try:
        for path, root in DOCUMENTS:
            response = client.get(BASE + path.format(id=public_id))
            assert response.status_code == 200, (path, response.data[:300])
            assert xml_of(response).tag == root
        listed = xml_of(client.get(f"{BASE}/requests.xml"))
        assert listed.findtext("request/description") == as_parsed(text)
        assert listed.findtext("request/status_notes") == as_parsed(text)
        updates = xml_of(client.get(f"{BASE}/servicerequestupdates.xml"))
        assert [u.findtext("description") for u in updates.findall("request_update")] == [as_parsed(text)] * 2
        assert xml_of(client.get(f"{BASE}/discovery.xml")).findtext("contact") == as_parsed(text)
        for error_path in (f"/services/{quote(text, safe='')}.xml", f"/tokens/{quote(text, safe='')}.xml",
                           f"/requests/{quote(text, safe='')}.xml",
                           f"/requests.xml?service_code={quote(text, safe='')}",
                           f"/requests.xml?status={quote(text, safe='')}",
                           f"/services.xml?jurisdiction_id={quote(text, safe='')}"):
            response = client.get(BASE + error_path)
            if response.status_code == 200:  # a text that happens to be a valid value, such as "open"
                xml_of(response)
                continue
            assert ElementTree.fromstring(response.data).tag == "errors", error_path
    finally:
        app.config["OPEN311_CONTACT"] = ""


MARKER = "zz9x7MARK"
ECHO_PROBES = [
    "/services/a%13b{m}.xml",
    "/tokens/%1F{m}.xml",
    "/requests/%01{m}%0B.xml",
    "/services/{m}.json",
    "/requests.xml?service_code={m}",
    "/requests.json?service_code=road_damage,{m}",
    "/requests.xml?status={m}",
    "/requests.json?jurisdiction_id={m}",
    "/requests.xml?start_date={m}",
    "/requests.xml?page={m}",
    "/{m}.xml",
    "/{m}/requests.json",
]


@pytest.mark.parametrize("probe", ECHO_PROBES)
def test_error_documents_never_repeat_the_request(client, probe: str) -> None:
    path = probe.format(m=MARKER)
    fmt = "xml" if ".xml" in path else "json"
    response = client.get(BASE + path)
    # Control characters are refused at the input boundary (422), the rest by Open311 itself.
    assert response.status_code in (400, 404, 422)
    assert_open311_error(response, response.status_code, fmt)
    assert MARKER not in response.get_data(as_text=True)


def test_a_refused_post_never_repeats_its_fields(client, api_key: str) -> None:
    response = client.post(f"{BASE}/requests.xml", data={
        "api_key": api_key, "service_code": MARKER, "lat": "35.650", "long": "139.780"})
    assert_open311_error(response, 404, "xml")
    assert MARKER not in response.get_data(as_text=True)
    response = client.post(f"{BASE}/requests.xml", data={
        "api_key": api_key, "service_code": "road_damage", "lat": "35.650", "long": "139.780",
        "attribute[lane_blocked]": f"\x13{MARKER}"})
    # The input boundary refuses the control character, in an Open311 error document.
    assert_open311_error(response, 422, "xml")
    assert MARKER not in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_doubled_slash_is_redirected_with_an_open311_document(client, fmt: str) -> None:
    # A service code that starts with a slash, quoted, becomes a doubled slash once the path is decoded.
    response = client.get(f"{BASE}/services/%2Froad_damage.{fmt}")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"{BASE}/services/road_damage.{fmt}")
    assert_open311_error(response, 308, fmt)
