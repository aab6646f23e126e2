"""Staff set the regions of a photo; the public derivatives are blurred there, staff's and the original stay sharp."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Photo, Report
from service.pipeline import pipeline_for
from tests.photos.factories import detailed_picture, encode
from tests.staff.conftest import Keys
from tests.worker import processed_by_worker

BOX = {"left": 0.3, "top": 0.3, "width": 0.2, "height": 0.25}


@pytest.fixture()
def photographed(client, keys: Keys) -> dict:
    # Below the size at which the test client spools an upload to a temporary file.
    original = encode(detailed_picture((1000, 750)), "JPEG", quality=80)
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "人が写っています", "lat": "35.65",
                                                     "lon": "139.78", "photos": [(io.BytesIO(original), "a.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    report = db.session.scalar(select(Report).where(Report.public_id == response.get_json()["id"]))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    public = client.get(f"/api/v1/reports/{report.public_id}").get_json()
    photo_id = db.session.scalar(select(Photo.public_id).where(Photo.report_id == report.id))
    return {"report": report.public_id, "photo": photo_id, "original": original, "public": public["photos"][0]}


def put_regions(client, keys: Keys, photo_id: str, regions: list[dict], who: str = "road_manager", **headers):
    return client.put(f"/api/v1/staff/photos/{photo_id}/regions", data=json.dumps({"regions": regions}),
                      content_type="application/json", headers={**keys.header(who), **headers})


def image(response) -> Image.Image:
    assert response.status_code == 200, response.data[:200]
    return Image.open(io.BytesIO(response.data)).convert("RGB")


def spread(picture: Image.Image, box: tuple[int, int, int, int]) -> float:
    return sum(ImageStat.Stat(picture.crop(box)).stddev) / 3


def difference(first: Image.Image, second: Image.Image, box: tuple[int, int, int, int]) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(first.crop(box), second.crop(box))).mean) / 3


def in_pixels(box: dict, size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    return (round(box["left"] * width), round(box["top"] * height),
            round((box["left"] + box["width"]) * width), round((box["top"] + box["height"]) * height))


def test_a_staff_box_is_blurred_in_public_while_staff_and_the_original_stay_sharp(client, keys, photographed):
    photo_id = photographed["photo"]
    view_etag = client.get(f"/api/v1/reports/{photographed['report']}").headers["ETag"]

    answer = put_regions(client, keys, photo_id, [BOX])

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["version"] == 1 and answer.headers["ETag"] == '"regions-1"'
    # An app polling the report's public view learns of the new photo link.
    assert client.get(f"/api/v1/reports/{photographed['report']}", headers={"If-None-Match": view_etag}).status_code == 200
    [region] = body["regions"]
    assert region["source"] == "staff" and region["kind"] == "other" and region["created_by"] == "manager road"
    assert not region["removed"]
    shown = client.get(f"/api/v1/reports/{photographed['report']}").get_json()["photos"][0]
    assert shown["large_url"] != photographed["public"]["large_url"] and shown["large_url"].endswith("v=1")
    staff_photo = client.get(f"/api/v1/staff/reports/{photographed['report']}", headers=keys.header("road_staff")).get_json()["photos"][0]
    assert staff_photo["regions"] == 1 and staff_photo["regions_url"].endswith(f"/api/v1/staff/photos/{photo_id}/regions")
    public = image(client.get(shown["large_url"]))
    staff = image(client.get(f"/api/v1/staff/photos/{photo_id}/large", headers=keys.header("road_staff")))
    assert public.size == staff.size == (1000, 750)
    left, top, right, bottom = in_pixels(BOX, public.size)
    assert spread(public, (left, top, right, bottom)) < 0.25 * spread(staff, (left, top, right, bottom))
    assert difference(public, staff, (0, 0, 1000, top - 60)) < 0.5  # beyond the margin, the same pixels
    assert difference(public, staff, (right + 60, 0, 1000, 750)) < 0.5
    thumb, staff_thumb = image(client.get(shown["thumb_url"])), image(
        client.get(f"/api/v1/staff/photos/{photo_id}/thumb", headers=keys.header("road_staff")))
    small = in_pixels(BOX, thumb.size)
    assert spread(thumb, small) < 0.4 * spread(staff_thumb, small)
    store = client.application.extensions["photo_store"]
    photo = db.session.scalar(select(Photo).where(Photo.public_id == photo_id))
    assert store.get(photo.original_key) == photographed["original"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "photo.regions")).one()
    assert entry.target_id == photo_id and entry.before == {"regions": []}
    assert entry.after["regions"][0]["box"] == [0.3, 0.3, 0.2, 0.25]


def test_the_old_public_url_is_checked_again_and_the_new_one_may_be_kept(client, keys, photographed):
    before = client.get(photographed["public"]["large_url"])
    assert before.headers["Cache-Control"] == "public, max-age=86400, immutable"

    put_regions(client, keys, photographed["photo"], [BOX])
    stale = client.get(photographed["public"]["large_url"])
    again = client.get(photographed["public"]["large_url"], headers={"If-None-Match": stale.headers["ETag"]})

    assert stale.headers["Cache-Control"] == "public, no-cache"
    assert stale.headers["ETag"] != before.headers["ETag"] and stale.data != before.data
    assert again.status_code == 304


def test_removing_the_region_shows_the_sharp_photo_again_and_deletes_the_blurred_files(client, keys, photographed):
    photo_id = photographed["photo"]
    [region] = put_regions(client, keys, photo_id, [BOX]).get_json()["regions"]
    photo = db.session.scalar(select(Photo).where(Photo.public_id == photo_id))
    blurred_keys = (photo.public_large_key, photo.public_thumb_key)
    store = client.application.extensions["photo_store"]
    assert all(store.exists(key) for key in blurred_keys)

    answer = put_regions(client, keys, photo_id, [], who="admin", **{"If-Match": '"regions-1"'})

    assert answer.status_code == 200
    [removed] = answer.get_json()["regions"]
    assert removed["id"] == region["id"] and removed["removed"] and removed["removed_by"] == "admin None"
    shown = client.get(f"/api/v1/reports/{photographed['report']}").get_json()["photos"][0]
    staff = client.get(f"/api/v1/staff/photos/{photo_id}/large", headers=keys.header("road_staff"))
    assert client.get(shown["large_url"]).data == staff.data
    assert not any(store.exists(key) for key in blurred_keys)


def test_a_region_can_be_moved_and_kept(client, keys, photographed):
    photo_id = photographed["photo"]
    [region] = put_regions(client, keys, photo_id, [BOX]).get_json()["regions"]

    moved = put_regions(client, keys, photo_id, [{**BOX, "id": region["id"], "left": 0.5, "kind": "face"}])

    assert moved.status_code == 200
    [kept] = moved.get_json()["regions"]
    assert (kept["id"], kept["left"], kept["kind"], kept["removed"]) == (region["id"], 0.5, "face", False)
    assert moved.get_json()["version"] == 2


@pytest.mark.parametrize("who, status", [("road_staff", 403), ("road_viewer", 403), ("other_admin", 404)])
def test_only_managers_and_admins_of_the_report_set_regions(client, keys, photographed, who, status):
    answer = put_regions(client, keys, photographed["photo"], [BOX], who=who)

    assert answer.status_code == status and answer.content_type == "application/problem+json"
    assert db.session.scalar(select(Photo.regions_version).where(Photo.public_id == photographed["photo"])) == 0


@pytest.mark.parametrize("regions", [
    [{**BOX, "left": 0.9}],  # ends outside the photo
    [{**BOX, "width": 0}],
    [{**BOX, "id": 999999}],  # not a region of this photo
    [{**BOX, "kind": "person"}],
    [{**BOX, "colour": "red"}],
])
def test_bad_regions_are_refused_and_change_nothing(client, keys, photographed, regions):
    answer = put_regions(client, keys, photographed["photo"], regions)

    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    photo = db.session.scalar(select(Photo).where(Photo.public_id == photographed["photo"]))
    assert photo.regions_version == 0 and photo.regions == [] and photo.public_large_key == photo.large_key


def test_a_stale_if_match_is_refused(client, keys, photographed):
    put_regions(client, keys, photographed["photo"], [BOX])

    answer = put_regions(client, keys, photographed["photo"], [], **{"If-Match": '"regions-0"'})

    assert answer.status_code == 412
    listed = client.get(f"/api/v1/staff/photos/{photographed['photo']}/regions", headers=keys.header("road_viewer"))
    assert listed.status_code == 200 and not listed.get_json()["regions"][0]["removed"]
