"""Following a report ("me too"): once per contact, counted for staff, passed on by a merge, ended by a link."""

from __future__ import annotations

from sqlalchemy import func, select

from service.domain import follows
from service.extensions import db
from service.models import Follower, Report
from tests.staff.conftest import Keys, keys, road_report, submit

__all__ = ["keys", "road_report"]


def follow(client, report_id: str, **body):
    return client.post(f"/api/v1/reports/{report_id}/followers", json=body)


def staff_view(client, keys: Keys, report_id: str) -> dict:
    response = client.get(f"/api/v1/staff/reports/{report_id}", headers=keys.header("admin"))
    assert response.status_code == 200
    return response.get_json()


def test_following_twice_with_one_address_is_one_follow_and_staff_see_the_count(client, keys, road_report):
    first = follow(client, road_report, email="Neighbour@example.jp", email_updates=True)
    again = follow(client, road_report, email="neighbour@example.jp", email_updates=False)
    device = follow(client, road_report, device_id="phone-42")

    assert first.status_code == 201 and again.status_code == 201 and device.status_code == 201
    assert first.get_json()["unfollow_url"] == again.get_json()["unfollow_url"]
    assert again.get_json() == {"report": road_report, "email_updates": False, "unfollow_url": again.get_json()["unfollow_url"]}
    assert first.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 2
    assert staff_view(client, keys, road_report)["followers"] == 2
    public = client.get(f"/api/v1/reports/{road_report}").get_data(as_text=True)
    assert "neighbour@example.jp" not in public and "phone-42" not in public and "followers" not in public


def test_a_follow_needs_exactly_one_contact_and_a_visible_report(client, keys, road_report):
    neither = follow(client, road_report, email_updates=True)
    both = follow(client, road_report, email="a@example.jp", device_id="d")
    bad_address = follow(client, road_report, email="not an address")
    missing = follow(client, "nosuchreport", email="a@example.jp")
    report = db.session.scalar(select(Report).where(Report.public_id == road_report))
    report.hidden = True
    db.session.commit()
    hidden = follow(client, road_report, email="a@example.jp")

    assert [r.status_code for r in (neither, both, bad_address, missing, hidden)] == [422, 422, 422, 404, 404]
    assert "email" in neither.get_json()["errors"] and neither.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0


def test_the_unfollow_link_works_without_signing_in_and_twice(client, keys, road_report):
    link = follow(client, road_report, email="n@example.jp", email_updates=True).get_json()["unfollow_url"]
    path = link[link.index("/api/v1/"):]

    assert client.post(path).status_code == 204
    assert client.delete(path).status_code == 204
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0
    assert staff_view(client, keys, road_report)["followers"] == 0


def test_a_forged_unfollow_link_is_refused_and_removes_nothing(client, keys, road_report):
    link = follow(client, road_report, email="n@example.jp").get_json()["unfollow_url"]
    follower_id = db.session.scalar(select(Follower.id))
    forged = link[link.index("/api/v1/"):].replace(f"/{follower_id}.", f"/{follower_id + 1}.")

    assert client.delete(forged).status_code == 404
    assert client.delete("/api/v1/followers/1.x").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 1


def test_followers_of_a_merged_report_hear_about_its_primary(client, keys, road_report):
    duplicate = submit(client, lat=35.6501, lon=139.7801)
    follow(client, road_report, email="first@example.jp", email_updates=True)
    follow(client, duplicate, email="first@example.jp", email_updates=True)
    follow(client, duplicate, device_id="phone-7")
    merged = client.post(f"/api/v1/staff/reports/{duplicate}/transitions", headers=keys.header("admin"),
                         json={"to": "duplicate", "duplicate_of": road_report})
    assert merged.status_code == 201, merged.get_json()

    primary_id = db.session.scalar(select(Report.id).where(Report.public_id == road_report))
    told = follows.followers_to_notify(db.session(), primary_id)
    assert sorted(f.email or f.device_id for f in told) == ["first@example.jp", "phone-7"]
    assert staff_view(client, keys, road_report)["followers"] == 2
