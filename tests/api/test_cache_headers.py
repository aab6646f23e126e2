"""One caching policy: private answers are never stored, public ones are revalidated, Vary names the keys."""

from __future__ import annotations

import pytest

from tests.staff.conftest import Keys, keys, road_report

__all__ = ["keys", "road_report"]

STAFF_URLS = ["/api/v1/staff/reports", "/api/v1/staff/reports/{id}", "/api/v1/staff/reports?format=csv",
              "/api/v1/staff/stats?group_by=department", "/api/v1/staff/stats/timeseries?metric=received&interval=month",
              "/api/v1/staff/admin/categories", "/api/v1/staff/admin/subscribers", "/api/v1/staff/deliveries"]


def vary(response) -> set[str]:
    return {name.strip().lower() for name in response.headers.get("Vary", "").split(",") if name.strip()}


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_answers_are_never_stored(client, keys: Keys, road_report, url):
    response = client.get(url.format(id=road_report), headers=keys.header("admin"))
    body = response.get_data(as_text=True)

    assert response.status_code == 200, body
    assert response.headers["Cache-Control"] == "no-store"
    assert "authorization" in vary(response)


def test_the_reporters_own_view_is_never_stored_and_varies_on_the_token(client):
    created = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴", "lat": 35.65,
                                                   "lon": 139.78})
    own = client.get(f"/api/v1/reports/{created.get_json()['id']}",
                     headers={"X-Tracking-Token": created.get_json()["tracking_token"]})
    public = client.get(f"/api/v1/reports/{created.get_json()['id']}")

    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert own.status_code == 200 and own.headers["Cache-Control"] == "no-store"
    assert {"x-tracking-token", "authorization"} <= vary(own)
    # The public view shares the URL, so a cache must keep the two apart.
    assert public.headers["Cache-Control"] == "public, max-age=5" and {"x-tracking-token", "authorization"} <= vary(public)


@pytest.mark.parametrize("url", ["/api/v1/reports", "/api/v1/categories", "/api/v1/jurisdictions",
                                 "/open311/v2/services.json", "/open311/v2/requests.xml"])
def test_public_answers_are_revalidated_before_reuse(client, url):
    response = client.get(url)

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"


def test_errors_are_never_stored_and_open_data_keeps_its_own_lifetime(client):
    missing = client.get("/api/v1/reports/nothing-here")
    unauthorised = client.get("/api/v1/staff/reports")
    opendata = client.get("/api/v1/opendata/reports.csv")
    opendata.get_data()

    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    assert unauthorised.status_code == 401 and unauthorised.headers["Cache-Control"] == "no-store"
    assert opendata.headers["Cache-Control"] == "public, max-age=300"
