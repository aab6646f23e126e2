"""Staff keys for every role, a second jurisdiction, and reports in each department."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from service.domain import jurisdictions as setup
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Report
from service.pipeline import pipeline_for
from service.seed import category_catalogue
from tests.worker import processed_by_worker

OTHER_BOUNDARY = {"type": "Polygon", "coordinates": [[[140.10, 35.58], [140.15, 35.58], [140.15, 35.63], [140.10, 35.63], [140.10, 35.58]]]}


@dataclass
class Keys:
    admin: str
    road_manager: str
    road_staff: str
    road_viewer: str
    parks_staff: str
    other_admin: str

    def header(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


@pytest.fixture()
def keys(app) -> Keys:
    chiba = setup.create_jurisdiction(db.session, code="121002", name_ja="千葉市", name_en="Chiba City",
                                      boundary_geojson=json.dumps(OTHER_BOUNDARY), prefecture_ja="千葉県")
    setup.add_department(db.session, chiba, code="koho", name_ja="広報広聴課", name_en="Public Relations", fallback=True)
    setup.add_categories(db.session, chiba, category_catalogue())
    db.session.commit()

    def key(role: str, jurisdiction: str = "990019", department: str | None = None) -> str:
        return create_staff(db.session, name=f"{role} {department}", role=role, jurisdiction_code=jurisdiction,
                            department_code=department)[1]

    return Keys(admin=key("admin"), road_manager=key("manager", department="road"), road_staff=key("staff", department="road"),
                road_viewer=key("viewer", department="road"), parks_staff=key("staff", department="parks"),
                other_admin=key("admin", "121002"))


def submit(client, *, category: str = "road_damage", lat: float = 35.650, lon: float = 139.780, **extra) -> str:
    body = {"category": category, "description": "道路に穴があります", "lat": lat, "lon": lon, **extra}
    response = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["id"]
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
    processed_by_worker(db.session, report_id, pipeline_for(client.application))
    return public_id


@pytest.fixture()
def road_report(client, keys) -> str:
    return submit(client, reporter={"email": "resident@example.jp", "phone": "090-1111-2222"}, device_id="device-777")


@pytest.fixture()
def parks_report(client, keys) -> str:
    return submit(client, category="park_equipment", lat=35.630, lon=139.770)


@pytest.fixture()
def other_report(client, keys) -> str:
    return submit(client, lat=35.60, lon=140.12)
