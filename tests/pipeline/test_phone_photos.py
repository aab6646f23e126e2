"""Photos as current phones send them: every one is processed, or refused where the resident and staff can see it."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from service.domain.staff_keys import create_staff
from service.extensions import db
from service.pipeline import pipeline_for
from tests.photos.factories import blank_png_of_size
from tests.pipeline.support import phone_photo, photos_of, report_row
from tests.worker import processed_by_worker

SAMPLES = Path(__file__).resolve().parents[1] / "photos" / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def post(client, photos: list[bytes]):
    """Send a multipart report as the mobile app does.

    The body is encoded in memory: the test client would spool a body of more
    than 500 KB to a temporary file that it never closes.
    """
    fields = MultiDict({"category": "road_damage", "description": "歩道に大きな穴があります", "lat": "35.650", "lon": "139.780"})
    for number, photo in enumerate(photos, start=1):
        fields.add("photos", FileStorage(io.BytesIO(photo), f"IMG_{number:04d}.JPG"))
    boundary, body = encode_multipart(fields)
    return client.post("/api/v1/reports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def post_report(client, photos: list[bytes]) -> dict:
    response = post(client, photos)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def processed(app, client, photos: list[bytes]) -> dict:
    """Post a report with ``photos``, run its processing, and return it as its reporter sees it."""
    created = post_report(client, photos)
    assert processed_by_worker(db.session, report_row(created["id"]).id, pipeline_for(app))
    return own_view(client, created)


def own_view(client, created: dict) -> dict:
    response = client.get(f"/api/v1/reports/{created['id']}", headers={"X-Tracking-Token": created["tracking_token"]})
    assert response.status_code == 200
    return response.get_json()


def fetched_image(client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.data))


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    """Mean absolute difference per channel, 0 to 255."""
    return sum(ImageStat.Stat(ImageChops.difference(first.convert("RGB"), second.convert("RGB"))).mean) / 3


def staff_view(client, public_id: str) -> dict:
    key = create_staff(db.session, name="photo admin", role="admin", jurisdiction_code="990019",
                       department_code=None)[1]
    response = client.get(f"/api/v1/staff/reports/{public_id}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.get_json()


def large_grey_jpeg(size: tuple[int, int]) -> bytes:
    """A JPEG of a 200 MP phone mode; grey, so that making it costs a third of the memory of colour."""
    width, height = size
    picture = Image.new("L", size, 200)
    picture.paste(40, (0, 0, width, height // 2))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def test_48_megapixel_phone_photo_is_accepted_and_gets_its_derivatives(app, client):
    # 8064x6048, stored sideways with EXIF orientation 6 as a phone held upright writes it.
    photo = phone_photo((8064, 6048), top=(220, 30, 30), bottom=(30, 30, 220))

    report = processed(app, client, [photo])

    assert report["photo_state"] == "complete" and report["rejected_photos"] == []
    [shown] = report["photos"]
    large = fetched_image(client, shown["large_url"]).convert("RGB")
    assert large.size == (1200, 1600)
    assert large.getpixel((600, 100)) == pytest.approx((220, 30, 30), abs=12)
    assert large.getpixel((600, 1500)) == pytest.approx((30, 30, 220), abs=12)
    assert fetched_image(client, shown["thumb_url"]).size == (300, 400)


def padded(jpeg: bytes, size: int) -> bytes:
    """The JPEG grown to ``size`` bytes by comment segments after its start: as large as a detailed photo, as cheap to make as a grey one."""
    segments = []
    room = size - len(jpeg)
    while room > 4:
        length = min(room - 2, 65535)
        segments.append(b"\xff\xfe" + struct.pack(">H", length) + b"." * (length - 2))
        room -= length + 2
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def test_200_megapixel_phone_photo_is_accepted_and_gets_its_derivatives(app, client):
    # The 200 MP mode of current phones: 16320x12240 pixels, in the 30 MB a
    # street photo of that mode takes.
    photo = padded(large_grey_jpeg((16320, 12240)), 30 * 1024 * 1024)
    assert len(photo) > 29 * 1024 * 1024
    report = processed(app, client, [photo])

    assert report["photo_state"] == "complete"
    [shown] = report["photos"]
    large = fetched_image(client, shown["large_url"])
    assert large.size == (1600, 1200)
    assert large.getpixel((800, 200)) == pytest.approx(40, abs=6)
    assert large.getpixel((800, 1000)) == pytest.approx(200, abs=6)


def test_photo_with_more_pixels_than_any_phone_is_refused_at_intake_with_its_size(client):
    bomb = blank_png_of_size(16400, 12900)

    response = post(client, [bomb])

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert "16400x12900" in problem["detail"] and "210000000 pixels" in problem["detail"]
    assert "photos[0]" in problem["errors"]
    assert client.get("/api/v1/reports").get_json()["items"] == []


@pytest.mark.parametrize("name", ["frame_size.mpo", "frozenpond.mpo"])
def test_mpo_photo_is_accepted_and_its_first_picture_is_shown(app, client, name):
    data = sample(name)

    report = processed(app, client, [data])

    assert report["photo_state"] == "complete"
    [shown] = report["photos"]
    large = fetched_image(client, shown["large_url"])
    assert large.format == "JPEG" and not large.getexif()
    with Image.open(io.BytesIO(data)) as first:
        assert large.size == first.size
        assert mean_difference(large, first) < 3


def test_real_jpeg_with_exif_orientation_is_shown_upright_without_metadata(app, client):
    report = processed(app, client, [sample("Landscape_6.jpg")])

    assert report["photo_state"] == "complete"
    large = fetched_image(client, report["photos"][0]["large_url"])
    assert large.size == (1600, 1067) and not large.getexif() and "icc_profile" not in large.info
    with Image.open(SAMPLES / "Landscape_1.jpg") as upright:
        reference = upright.resize(large.size, Image.Resampling.LANCZOS)
    # The two samples are separate encodes of the picture, which differ by
    # about 3.9 alone; the same photo mirrored differs by over 70.
    assert mean_difference(large, reference) < 4.5


def test_real_iphone_heic_is_shown_upright_in_srgb_without_metadata(app, client):
    report = processed(app, client, [sample("arrow.heic")])

    assert report["photo_state"] == "complete"
    large = fetched_image(client, report["photos"][0]["large_url"])
    assert large.format == "JPEG" and large.size == (1200, 1600)
    assert not large.getexif() and "icc_profile" not in large.info
    assert fetched_image(client, report["photos"][0]["thumb_url"]).size == (300, 400)


def test_photo_that_fails_after_intake_is_shown_to_staff_and_reporter_and_the_report_is_incomplete(app, client):
    created = post_report(client, [phone_photo(), phone_photo(top=(20, 200, 20))])
    assert own_view(client, created)["photo_state"] == "pending"
    pipeline = pipeline_for(app)
    lost = photos_of(report_row(created["id"]))[1]
    # The store lost the second original between intake and processing.
    pipeline.store.delete(lost.original_key)

    assert processed_by_worker(db.session, report_row(created["id"]).id, pipeline)

    own = own_view(client, created)
    assert own["processing"] == "done" and own["photo_state"] == "incomplete"
    assert len(own["photos"]) == 1
    assert own["rejected_photos"] == [{"position": 1, "reason": "the original is missing from the store"}]
    public = client.get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["photo_state"] == "incomplete" and len(public["photos"]) == 1 and "rejected_photos" not in public
    staff = staff_view(client, created["id"])
    assert staff["photo_state"] == "incomplete"
    assert [(p["position"], p["state"], p["reject_reason"]) for p in staff["photos"]] == [
        (0, "ready", None), (1, "rejected", "the original is missing from the store")]


def test_report_without_photos_says_so(app, client):
    report = processed(app, client, [])

    assert report["photo_state"] == "none" and report["photos"] == [] and report["rejected_photos"] == []
