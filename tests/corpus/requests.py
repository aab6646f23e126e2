"""The hostile request corpus: every repro of the input-boundary findings, as requests.

Each case is sent by ``tests/test_hostile_input.py``; ``who`` names the credential it
carries (a staff key from ``tests.staff.conftest.Keys``, ``client`` for the Open311
api_key, or None), and ``statuses`` the answers it may get. Paths may name ``{report}``
(a report's public id) and ``{subscriber}`` (a subscriber id) made before the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.corpus.logscan import PII, reporter_fields

REPORT = {"category": "road_damage", "description": "歩道に穴があります", "lat": 35.65, "lon": 139.78}
OPEN311_POST = {"service_code": "road_damage", "lat": "35.650", "long": "139.780", "description": "穴",
                "email": PII["reporter_email"], "phone": PII["reporter_phone"], "first_name": PII["reporter_name"],
                "device_id": PII["device_id"]}
ADMIN = "/api/v1/staff/admin"
BIG_IDS = ("2147483648", "9223372036854775808", "0", "9" * 5000, "\u0661\u0662")


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    statuses: tuple[int, ...]
    who: str | None = None
    json: Any = None
    data: Any = None
    raw: bytes | str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _attributes(count: int) -> dict[str, Any]:
    return {**REPORT, **reporter_fields(), "attributes": {f"k{i}": 1 for i in range(count)}}


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def item1_bodies() -> list[Case]:
    """Bodies refused by size or count before they are deserialised."""
    import json

    return [
        Case("json attributes past the byte cap", "POST", "/api/v1/reports", (413,), json=_attributes(40_000)),
        Case("json object with too many members", "POST", "/api/v1/reports", (400,), json=_attributes(150)),
        Case("json list too long", "POST", "/api/v1/reports", (400,), json={**REPORT, "attributes": {"a": list(range(500))}}),
        Case("json nested too deep", "POST", "/api/v1/reports", (400,), json={**REPORT, "attributes": {"a": _nested(12)}}),
        Case("form json field past the byte cap", "POST", "/api/v1/reports", (413,),
             data={**{k: str(v) for k, v in REPORT.items()}, "attributes": json.dumps({f"k{i}": 1 for i in range(20_000)})}),
        Case("multipart with too many fields", "POST", "/api/v1/reports", (413,),
             data={**{k: str(v) for k, v in REPORT.items()}, **{f"x{i}": "1" for i in range(300)}}, content_type="multipart/form-data"),
        Case("open311 urlencoded 200,000 fields", "POST", "/open311/v2/requests.json", (413,), who="client",
             raw="&".join(f"f{i}=x" for i in range(200_000)), content_type="application/x-www-form-urlencoded"),
        Case("open311 urlencoded fields under the byte cap", "POST", "/open311/v2/requests.json", (413,), who="client",
             raw="a=&" * 5000, content_type="application/x-www-form-urlencoded"),
        Case("open311 multipart 1,000 fields", "POST", "/open311/v2/requests.json", (413,), who="client",
             data={**OPEN311_POST, **{f"x{i}": "1" for i in range(1000)}}, content_type="multipart/form-data"),
        Case("a query with 5,000 parameters", "GET", "/api/v1/reports?" + "a=1&" * 5000, (400,)),
        Case("subscriber body past the byte cap", "POST", f"{ADMIN}/subscribers", (413,), who="admin",
             json={"kind": "email", "name": "x" * 70_000, "email": PII["reporter_email"]}),
    ]


def item6_characters() -> list[Case]:
    """NUL and other control characters in every kind of input."""
    cases = [
        Case("NUL in public list category", "GET", "/api/v1/reports?category=a%00b", (422,)),
        Case("NUL in public list status", "GET", "/api/v1/reports?status=%00", (422,)),
        Case("NUL in a query parameter name", "GET", "/api/v1/reports?a%00b=1", (422,)),
        Case("NUL in staff q", "GET", "/api/v1/staff/reports?q=%00", (422,), who="admin"),
        Case("C1 in staff q", "GET", "/api/v1/staff/reports?q=%C2%85", (422,), who="admin"),
        Case("DEL in staff category", "GET", "/api/v1/staff/reports?category=a%7F", (422,), who="admin"),
        Case("line feed in staff ward", "GET", "/api/v1/staff/reports?ward=a%0Ab", (422,), who="admin"),
        Case("NUL in a report id", "GET", "/api/v1/reports/a%00b", (422,)),
        Case("NUL in a staff report id", "GET", "/api/v1/staff/reports/a%00b", (422,), who="admin"),
        Case("NUL in an open311 service_request_id", "GET", "/open311/v2/requests/a%00b.json?jurisdiction_id=990019", (400, 422)),
        Case("unit separator in an open311 service code", "GET", "/open311/v2/services/a%13b.xml", (400, 422)),
        Case("unit separator in an open311 token", "GET", "/open311/v2/tokens/%1F.xml", (400, 422)),
        Case("NUL in open data category", "GET", "/api/v1/opendata/reports.csv?category=a%00b", (422,)),
        Case("NUL in an open311 POST field", "POST", "/open311/v2/requests.json", (400, 422), who="client",
             data={**OPEN311_POST, "description": "穴\x00あり"}),
        Case("vertical tab in an open311 POST name", "POST", "/open311/v2/requests.json", (400, 422), who="client",
             data={**OPEN311_POST, "last_name": "山\x0b田"}),
        Case("NUL in a multipart report field", "POST", "/api/v1/reports", (422,),
             data={**{k: str(v) for k, v in REPORT.items()}, "description": "穴\x00", "device_id": PII["device_id"]},
             content_type="multipart/form-data"),
        Case("escaped NUL in a multipart reporter field", "POST", "/api/v1/reports", (422,),
             data={**{k: str(v) for k, v in REPORT.items()},
                   "reporter": '{"name": "a\\u0000", "email": "' + PII["reporter_email"] + '"}'},
             content_type="multipart/form-data"),
        Case("NUL in a JSON key", "POST", "/api/v1/reports", (422,), json={**REPORT, "attributes": {"a\x00": "x"}}),
        Case("lone surrogate in a JSON string", "POST", "/api/v1/reports", (422,),
             raw='{"category": "road_damage", "description": "\\ud800", "lat": 35.65, "lon": 139.78}',
             content_type="application/json"),
        Case("escaped NUL in a GeoJSON area name", "POST", f"{ADMIN}/areas/import?layer=ward2", (422,), who="admin",
             raw='{"type": "Feature", "properties": {"code": "x", "name": "区\\u0000"}, "geometry": {"type": "Polygon", '
                 '"coordinates": [[[139.77, 35.64], [139.78, 35.64], [139.78, 35.65], [139.77, 35.64]]]}}',
             content_type="application/geo+json"),
        Case("staff reply with XML-breaking controls", "POST", "/api/v1/staff/reports/{report}/comments", (422,),
             who="admin", json={"public_reply": "対応します\x01\x0b\x1f"}),
    ]
    for char in ("\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ufffe"):
        cases.append(Case(f"U+{ord(char):04X} in a JSON description with PII", "POST", "/api/v1/reports", (422,),
                          json={**REPORT, **reporter_fields(), "description": f"穴{char}があります"}))
    return cases


def item14_dates() -> list[Case]:
    """Dates far outside the service's range."""
    return [
        Case("open311 end_date year 1", "GET", "/open311/v2/requests.json?jurisdiction_id=990019&end_date=0001-01-01", (400,)),
        Case("open311 start_date year 9999", "GET", "/open311/v2/requests.json?jurisdiction_id=990019&start_date=9999-12-31T23:59:59Z", (400,)),
        Case("open311 updates end_date year 1", "GET", "/open311/v2/servicerequestupdates.json?jurisdiction_id=990019&end_date=0001-01-01",
             (400,)),
        Case("open data end_date year 9999", "GET", "/api/v1/opendata/reports.csv?end_date=9999-12-31", (422,)),
        Case("open data start_date year 1", "GET", "/api/v1/opendata/reports.geojson?start_date=0001-01-01", (422,)),
        Case("staff created_from year 1 at +14:00", "GET",
             "/api/v1/staff/reports?created_from=0001-01-01T00:00:00%2B14:00", (422,), who="admin"),
        Case("staff updated_to year 9999", "GET", "/api/v1/staff/reports?updated_to=9999-12-31T23:59:59-12:00", (422,),
             who="admin"),
        Case("stats years 1 to 10", "GET", "/api/v1/staff/stats?from=0001-01-01&to=0010-12-01", (422,), who="admin"),
        Case("stats from 1390", "GET", "/api/v1/staff/stats?from=1390-01-01", (422,), who="admin"),
        Case("timeseries to year 9999", "GET", "/api/v1/staff/stats/timeseries?metric=received&to=9999-12-31", (422,),
             who="admin"),
    ]


def item23_ids() -> list[Case]:
    """Path ids past the database's integers, or not ASCII numbers."""
    paths = [f"{ADMIN}/rules/{{id}}", f"{ADMIN}/areas/{{id}}", f"{ADMIN}/staff/{{id}}", f"{ADMIN}/clients/{{id}}",
             "/api/v1/staff/admin/subscribers/{id}"]
    cases = []
    for path in paths:
        for big in BIG_IDS:
            method = "GET" if "areas" in path or "subscribers" in path else "DELETE"
            cases.append(Case(f"{method} {path} with {big[:20]}", method, path.format(id=big), (404,), who="admin"))
    return cases


def item26_patches() -> list[Case]:
    """Empty changes, non-boolean booleans, and an empty If-Match."""
    cases = []
    for path in (f"{ADMIN}/categories/road_damage", f"{ADMIN}/departments/road", "/api/v1/staff/admin/subscribers/{subscriber}",
                 "/api/v1/staff/reports/{report}"):
        cases += [
            Case(f"PATCH {path} with {{}}", "PATCH", path, (422,), who="admin", json={}),
            Case(f"PATCH {path} without a body", "PATCH", path, (422,), who="admin"),
        ]
    for value in (0, 1, "true", "yes", None):
        for path, name in ((f"{ADMIN}/categories/road_damage", "active"), (f"{ADMIN}/departments/road", "fallback"),
                           ("/api/v1/staff/admin/subscribers/{subscriber}", "active"), ("/api/v1/staff/reports/{report}", "hidden")):
            cases.append(Case(f"PATCH {path} {name}={value!r}", "PATCH", path, (422,), who="admin", json={name: value}))
    cases += [
        Case("staff list overdue=1", "GET", "/api/v1/staff/reports?overdue=1", (422,), who="admin"),
        Case("areas geometry=yes", "GET", f"{ADMIN}/areas?geometry=yes", (422,), who="admin"),
        Case("empty If-Match", "PATCH", "/api/v1/staff/reports/{report}", (400,), who="admin", json={"priority": 3},
             headers={"If-Match": ""}),
        Case("blank If-Match", "POST", "/api/v1/staff/reports/{report}/comments", (400,), who="admin",
             json={"internal_note": "x"}, headers={"If-Match": "   "}),
    ]
    return cases


def corpus() -> list[Case]:
    return item1_bodies() + item6_characters() + item14_dates() + item23_ids() + item26_patches()
