"""Only admins reach the admin API, and only for their own jurisdiction."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Area, AuditEntry, Department, Jurisdiction, RoutingRule, Staff
from tests.admin.helpers import BASE, call

# Who may do what is decided before the database is asked; the admin tests of
# each resource run on both engines.
pytestmark = pytest.mark.engine_independent

SQUARE = {"type": "Polygon",
          "coordinates": [[[139.77, 35.63], [139.78, 35.63], [139.78, 35.64], [139.77, 35.64], [139.77, 35.63]]]}
GEOJSON = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "properties": {"name": "港北", "code": "kohoku"}, "geometry": SQUARE}]}

# (method, path, body); {rule}, {area} and {staff} are ids in the demo jurisdiction.
ENDPOINTS = [
    ("GET", "/departments", None),
    ("POST", "/departments", {"code": "bridges", "name_ja": "橋梁課", "name_en": "Bridges"}),
    ("PATCH", "/departments/road", {"name_en": "Road Maintenance"}),
    ("DELETE", "/departments/public_hearing", None),
    ("GET", "/categories", None),
    ("POST", "/categories",
     {"code": "noise", "name_ja": "騒音", "name_en": "Noise", "first_response_days": 2, "resolution_days": 5}),
    ("PATCH", "/categories/graffiti", {"active": False}),
    ("GET", "/rules", None),
    ("POST", "/rules", {"department": "road", "category": "graffiti"}),
    ("DELETE", "/rules/{rule}", None),
    ("GET", "/areas", None),
    ("GET", "/areas/{area}", None),
    ("DELETE", "/areas/{area}", None),
    ("POST", "/areas/import?layer=district", GEOJSON),
    ("GET", "/staff", None),
    ("POST", "/staff", {"name": "新人", "role": "viewer"}),
    ("POST", "/staff/{staff}/key", {"keep_previous": True}),
    ("DELETE", "/staff/{staff}", None),
    ("GET", "/audit", None),
]
# Both jurisdictions have the catalogue's categories, so a category code is no secret of either.
ITEM_ENDPOINTS = [e for e in ENDPOINTS if ("{" in e[1] or e[0] in ("PATCH", "DELETE")) and "/categories/" not in e[1]]
LIST_ENDPOINTS = [e for e in ENDPOINTS if e[0] == "GET" and "{" not in e[1]]


@pytest.fixture()
def ids(keys) -> dict[str, int]:
    demo = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "990019"))
    return {
        "rule": db.session.scalar(select(func.min(RoutingRule.id)).where(RoutingRule.jurisdiction_id == demo)),
        "area": db.session.scalar(select(Area.id).where(Area.jurisdiction_id == demo, Area.code == "chuo")),
        "staff": db.session.scalar(select(Staff.id).where(Staff.jurisdiction_id == demo, Staff.role == "viewer")),
    }


def audit_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(AuditEntry.id)))


@pytest.mark.parametrize("who", ["road_manager", "road_staff", "road_viewer", "parks_staff"])
@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_roles_below_admin_are_forbidden_and_change_nothing(client, keys, ids, who, method, path, body):
    response = call(client, keys, method, path.format(**ids), body, who=who)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert audit_count() == 0


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_requests_without_a_key_are_unauthorised(client, keys, ids, method, path, body):
    response = call(client, keys, method, path.format(**ids), body, who="")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_requests_with_a_bad_key_are_unauthorised(client, keys, ids, method, path, body):
    headers = {"Authorization": "Bearer mk_00000000_not-a-key"}
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    response = client.open(BASE + path.format(**ids), method=method, headers=headers, **kwargs)
    assert response.status_code == 401


@pytest.mark.parametrize("method,path,body", ITEM_ENDPOINTS)
def test_another_jurisdictions_admin_finds_nothing_here(client, keys, ids, method, path, body):
    response = call(client, keys, method, path.format(**ids), body, who="other_admin")
    assert response.status_code == 404
    assert audit_count() == 0
    assert db.session.scalar(select(Department.name_en).where(Department.code == "road")) == "Road Division"


def test_another_jurisdictions_admin_lists_only_its_own_setup(client, keys):
    assert [d["code"] for d in call(client, keys, "GET", "/departments", who="other_admin").get_json()] == ["koho"]
    assert call(client, keys, "GET", "/rules", who="other_admin").get_json() == []
    assert call(client, keys, "GET", "/areas", who="other_admin").get_json() == []
    staff = call(client, keys, "GET", "/staff", who="other_admin").get_json()
    assert [s["role"] for s in staff] == ["admin"]
    call(client, keys, "PATCH", "/departments/road", {"name_en": "Road Maintenance"})
    assert call(client, keys, "GET", "/audit", who="other_admin").get_json()["items"] == []


def test_another_jurisdictions_admin_writes_in_its_own_jurisdiction(client, keys):
    body = {"code": "bridges", "name_ja": "橋梁課", "name_en": "Bridges"}
    assert call(client, keys, "POST", "/departments", body, who="other_admin").status_code == 201
    assert "bridges" not in [d["code"] for d in call(client, keys, "GET", "/departments").get_json()]
    assert call(client, keys, "POST", "/departments", body).status_code == 201


def test_another_jurisdictions_admin_changes_only_its_own_category(client, keys):
    assert call(client, keys, "PATCH", "/categories/graffiti", {"active": False}, who="other_admin").status_code == 200
    own = {c["code"]: c["active"] for c in call(client, keys, "GET", "/categories").get_json()}
    theirs = {c["code"]: c["active"] for c in call(client, keys, "GET", "/categories", who="other_admin").get_json()}
    assert (own["graffiti"], theirs["graffiti"]) == (True, False)
