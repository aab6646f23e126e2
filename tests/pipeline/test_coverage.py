"""The per-process index of areas follows changes: at once from this process, soon from others."""

from __future__ import annotations

from sqlalchemy import insert, select

from service.domain.coverage import Coverage, coverage
from service.extensions import db
from service.models import Area, Jurisdiction

# In 中央区, west of the park, where the demo city has no smaller area.
LAT, LON = 35.650, 139.780


def square_around(lat: float, lon: float, half: float = 0.001) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def plaza(jurisdiction_id: int, code: str) -> dict:
    return {"jurisdiction_id": jurisdiction_id, "layer": "park", "code": code, "name_ja": "駅前広場",
            "geometry": square_around(LAT, LON), "properties": {}}


def park_codes(index: Coverage) -> set[str]:
    return {hit.code for hit in index.areas_at(db.session, LON, LAT) if hit.layer == "park"}


def test_an_area_committed_by_this_process_is_found_at_once(app):
    jurisdiction_id = db.session.scalar(select(Jurisdiction.id))
    assert park_codes(coverage) == set()

    db.session.add(Area(**plaza(jurisdiction_id, "plaza")))
    db.session.commit()

    assert park_codes(coverage) == {"plaza"}


def test_an_area_written_by_another_process_is_found_once_the_index_is_rechecked(app):
    jurisdiction_id = db.session.scalar(select(Jurisdiction.id))
    patient, eager = Coverage(recheck_seconds=3600), Coverage(recheck_seconds=0)
    assert park_codes(patient) == park_codes(eager) == set()
    db.session.rollback()

    # Another process writes without this process's session (and its events).
    with db.engine.begin() as connection:
        connection.execute(insert(Area).values(**plaza(jurisdiction_id, "plaza")))

    assert park_codes(patient) == set()
    assert park_codes(eager) == {"plaza"}
