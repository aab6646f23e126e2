"""The plate detector on a picture of vehicles and on photos without any; the photo step blurs what it finds."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageFilter, ImageStat

from service.domain import photo_step
from service.photos import detection, plates
from service.photos.derivatives import upright_large
from service.photos.regions import Box
from service.storage.local import LocalPhotoStore

PLATES = Path(__file__).parent.parent / "data" / "plates"
SAMPLES = Path(__file__).parent / "samples"
STREET = Path(__file__).parent.parent / "data" / "street"
LABELS = json.loads((PLATES / "labels.json").read_text())
# The bar counts plates at least this wide in the large derivative.
MIN_PLATE_PX = 40


def overlap(first: Box, second: Box) -> float:
    width = max(0.0, min(first.left + first.width, second.left + second.width) - max(first.left, second.left))
    height = max(0.0, min(first.top + first.height, second.top + second.height) - max(first.top, second.top))
    shared = width * height
    return shared / (first.width * first.height + second.width * second.height - shared)


def detail(picture: Image.Image, box: Box) -> float:
    """The mean strength of the edges inside the box: what a blur takes away."""
    inside = picture.crop(box.pixels(picture.size, margin=0)).convert("L").filter(ImageFilter.FIND_EDGES)
    width, height = inside.size
    return ImageStat.Stat(inside.crop((1, 1, width - 1, height - 1))).mean[0]


def counted(name: str) -> list[Box]:
    """The labelled plates of a picture that the bar counts."""
    size = LABELS[name]["size"]
    return [Box(*values) for values in LABELS[name]["plates"] if values[2] * size[0] >= MIN_PLATE_PX]


def test_white_green_and_yellow_plates_on_vehicles_are_found():
    found = plates.detect_plates(Image.open(PLATES / "multiple.jpg"))

    assert all(item.kind == "plate" and 0 < item.score <= 1 for item in found)
    labelled = counted("multiple.jpg")
    assert len(labelled) == 3
    for plate in labelled:
        assert max(overlap(plate, item.box) for item in found) > 0.4, plate


@pytest.mark.parametrize("name", ["Landscape_1.jpg", "Landscape_6.jpg", "arrow.heic", "frozenpond.mpo"])
def test_a_photo_without_vehicles_has_no_plate(name):
    # Upright, as the photo step looks at it: Landscape_6 then shows the word
    # "bottom" printed over water and rocks, which is not a plate.
    picture = upright_large((SAMPLES / name).read_bytes())

    assert plates.detect_plates(picture) == []


def test_a_street_photo_with_people_and_no_vehicle_has_no_plate():
    assert plates.detect_plates(Image.open(STREET / "city.jpg")) == []


def test_the_photo_step_blurs_the_plates_in_the_public_derivative_only(tmp_path):
    store = LocalPhotoStore(tmp_path)
    store.put("originals/cars.jpg", (PLATES / "multiple.jpg").read_bytes(), "image/jpeg")
    settings = photo_step.PhotoSettings(detector=detection.detect_faces_and_plates)

    outcome = photo_step.render(photo_step.PhotoJob(1, "p1", "originals/cars.jpg"), store, settings)

    assert outcome.state == "ready"
    assert outcome.public_large_key is not None and outcome.public_large_key != outcome.large_key
    assert {item.kind for item in outcome.detections} == {"plate"}
    sharp = Image.open(io.BytesIO(store.get(outcome.large_key or "")))
    public = Image.open(io.BytesIO(store.get(outcome.public_large_key)))
    for plate in counted("multiple.jpg"):
        # The characters are gone in public and still there for staff.
        assert detail(public, plate) < 0.5 * detail(sharp, plate), plate


@pytest.fixture
def broken_opencv(monkeypatch):
    """OpenCV that cannot be imported, as after a broken install: the plate detector cannot be made."""
    plates.plate_detector.cache_clear()
    monkeypatch.setitem(sys.modules, "cv2", None)
    yield
    plates.plate_detector.cache_clear()


def test_a_plate_detector_that_cannot_load_holds_the_photo_back(tmp_path, broken_opencv):
    store = LocalPhotoStore(tmp_path)
    store.put("originals/cars.jpg", (PLATES / "multiple.jpg").read_bytes(), "image/jpeg")
    settings = photo_step.PhotoSettings(detector=detection.detect_faces_and_plates)

    outcome = photo_step.render(photo_step.PhotoJob(1, "p1", "originals/cars.jpg"), store, settings)

    assert outcome.state == "awaiting_review" and outcome.large_key is not None
    assert outcome.public_large_key is None and outcome.public_thumb_key is None
