"""Absolute URLs come from the public base URL or a trusted host, never from an arbitrary Host header."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from config.settings import load_settings
from service.extensions import db
from service.models import Report
from service.pipeline import pipeline_for
from tests.conftest import make_jpeg
from tests.staff.conftest import Keys, keys
from tests.worker import processed_by_worker

__all__ = ["keys"]

EVIL = {"Host": "evil.example"}
BASE = "https://machikoe.city.example.jp"


@pytest.fixture()
def photographed(client) -> str:
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "写真付き", "lat": "35.65",
                                                     "lon": "139.78", "photos": [(io.BytesIO(make_jpeg()), "a.jpg")]},
                           content_type="multipart/form-data")
    public_id = response.get_json()["id"]
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    return public_id


def links(client, keys: Keys, report_id: str, headers: dict[str, str]) -> list[str]:
    """Every absolute URL the service writes: public photos, staff photos, Open311 media and discovery."""
    public = client.get(f"/api/v1/reports/{report_id}", headers=headers).get_json()
    (summary,) = client.get("/api/v1/reports", headers=headers).get_json()["items"]
    staff = client.get(f"/api/v1/staff/reports/{report_id}", headers={**headers, **keys.header("road_staff")}).get_json()
    (request,) = client.get("/open311/v2/requests.json?jurisdiction_id=990019", headers=headers).get_json()
    discovery = client.get("/open311/v2/discovery.json", headers=headers).get_json()
    (photo,) = public["photos"]
    (staff_photo,) = staff["photos"]
    return [photo["large_url"], photo["thumb_url"], summary["thumb_url"], staff_photo["large_url"],
            staff_photo["thumb_url"], staff_photo["original_url"], request["media_url"],
            discovery["endpoints"][0]["url"]]


def test_a_forged_host_never_appears_in_a_link(client, keys, photographed):
    written = links(client, keys, photographed, EVIL)

    assert not [url for url in written if "evil.example" in url]
    # Without a base URL or trusted hosts, links are relative to the host the client asked.
    assert all(url.startswith("/") for url in written)
    assert client.get(written[0], headers=EVIL).status_code == 200
    # The embedded default, asked on this machine's loopback address, gets absolute links.
    assert all(url.startswith("http://127.0.0.1:8000/") for url in links(client, keys, photographed, {"Host": "127.0.0.1:8000"}))


def test_links_start_with_the_public_base_url_whatever_the_host(client, app, keys, photographed, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE + "/")

    written = links(client, keys, photographed, EVIL)

    assert all(url.startswith(BASE + "/api/v1/") or url == BASE + "/open311/v2" for url in written)


def test_trusted_hosts_refuse_other_hosts_and_name_the_one_asked(client, app, keys, photographed, monkeypatch):
    trusted = load_settings({"MACHIKOE_TRUSTED_HOSTS": "machikoe.city.example.jp, .machikoe.example.jp"})["TRUSTED_HOSTS"]
    assert load_settings({})["TRUSTED_HOSTS"] is None
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", trusted)

    refused = client.get(f"/api/v1/reports/{photographed}", headers=EVIL)
    written = links(client, keys, photographed, {"Host": "minato.machikoe.example.jp"})

    assert refused.status_code == 400 and refused.content_type == "application/problem+json"
    assert all(url.startswith("http://minato.machikoe.example.jp/") for url in written)
