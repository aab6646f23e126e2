"""The plate detector on photos without vehicles, and a detector that cannot load holds the photo back.

No photo of Japanese plates under a stated free licence is in the tests yet, so
the detector's recall is not shown here (see docs/privacy-detectors.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

from service.domain import photo_step
from service.photos import detection, plates
from service.photos.derivatives import upright_large
from service.storage.local import LocalPhotoStore
from tests.worker import checked_photo

SAMPLES = Path(__file__).parent / "samples"
STREET = Path(__file__).parent.parent / "data" / "street"


@pytest.mark.parametrize("name", ["Landscape_1.jpg", "Landscape_6.jpg", "arrow.heic", "frozenpond.mpo"])
def test_a_photo_without_vehicles_has_no_plate(name):
    # Upright, as the photo step looks at it: Landscape_6 then shows the word
    # "bottom" printed over water and rocks, which is not a plate.
    picture = upright_large((SAMPLES / name).read_bytes())

    assert plates.detect_plates(picture) == []


def test_a_street_photo_with_people_and_no_vehicle_has_no_plate():
    assert plates.detect_plates(Image.open(STREET / "city.jpg")) == []


@pytest.fixture
def broken_opencv(monkeypatch):
    """OpenCV that cannot be imported, as after a broken install: the plate detector cannot be made."""
    plates.plate_detector.cache_clear()
    monkeypatch.setitem(sys.modules, "cv2", None)
    yield
    plates.plate_detector.cache_clear()


def test_a_plate_detector_that_cannot_load_holds_the_photo_back(tmp_path, broken_opencv):
    store = LocalPhotoStore(tmp_path)
    store.put("originals/cars.jpg", (SAMPLES / "Landscape_1.jpg").read_bytes(), "image/jpeg")
    settings = photo_step.PhotoSettings(detector=detection.detect_faces_and_plates)

    photo = checked_photo(photo_step.PhotoJob(1, "p1", "originals/cars.jpg"), store, settings)

    assert photo.state == "awaiting_review" and photo.large_key is not None
    assert photo.public_large_key is None and photo.public_thumb_key is None
