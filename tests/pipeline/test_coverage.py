"""The per-process snapshot of areas and categories follows changes: at once from this process, soon from others."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from service.domain.coverage import Coverage, coverage
from service.extensions import db
from service.models import Area, Category, Jurisdiction

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


def road_damage_terms(index: Coverage, jurisdiction_id: int):
    return index.category(db.session, jurisdiction_id, "road_damage")


def test_a_category_withdrawn_by_another_process_is_refused_once_the_snapshot_is_rechecked(app):
    jurisdiction_id = db.session.scalar(select(Jurisdiction.id))
    patient, eager = Coverage(recheck_seconds=3600), Coverage(recheck_seconds=0)
    assert road_damage_terms(patient, jurisdiction_id).resolution_days == road_damage_terms(eager, jurisdiction_id).resolution_days
    db.session.rollback()

    with db.engine.begin() as connection:
        connection.execute(update(Category).where(Category.code == "road_damage").values(active=False))

    assert road_damage_terms(patient, jurisdiction_id) is not None
    assert road_damage_terms(eager, jurisdiction_id) is None


def test_new_response_targets_set_by_another_process_are_used_once_the_snapshot_is_rechecked(app):
    jurisdiction_id = db.session.scalar(select(Jurisdiction.id))
    eager = Coverage(recheck_seconds=0)
    before = road_damage_terms(eager, jurisdiction_id).resolution_days
    db.session.rollback()

    with db.engine.begin() as connection:
        connection.execute(update(Category).where(Category.code == "road_damage").values(resolution_days=before + 5))

    assert road_damage_terms(eager, jurisdiction_id).resolution_days == before + 5


def test_a_category_changed_through_this_process_s_session_is_seen_at_once(app):
    jurisdiction_id = db.session.scalar(select(Jurisdiction.id))
    assert road_damage_terms(coverage, jurisdiction_id) is not None

    db.session.execute(update(Category).where(Category.code == "road_damage").values(active=False))
    db.session.commit()

    assert road_damage_terms(coverage, jurisdiction_id) is None
