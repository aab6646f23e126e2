"""The shipped face detector on street photos and on photos with nobody in them; a failing one holds the photo back."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from PIL import Image, ImageFilter, ImageStat

from service.domain import photo_step
from service.photos import detection
from service.photos.regions import Box
from service.storage.local import LocalPhotoStore
from tests.worker import checked_photo

STREET = Path(__file__).parent.parent / "data" / "street"
SAMPLES = Path(__file__).parent / "samples"
LABELS = json.loads((STREET / "labels.json").read_text())


def overlap(first: Box, second: Box) -> float:
    width = max(0.0, min(first.left + first.width, second.left + second.width) - max(first.left, second.left))
    height = max(0.0, min(first.top + first.height, second.top + second.height) - max(first.top, second.top))
    shared = width * height
    return shared / (first.width * first.height + second.width * second.height - shared)


def detail(picture: Image.Image, box: Box) -> float:
    """The mean strength of the edges inside the box: what a blur takes away, while a face's broad tones may stay."""
    inside = picture.crop(box.pixels(picture.size, margin=0)).convert("L").filter(ImageFilter.FIND_EDGES)
    width, height = inside.size
    return ImageStat.Stat(inside.crop((1, 1, width - 1, height - 1))).mean[0]


@pytest.mark.parametrize("name", sorted(LABELS))
def test_the_faces_of_a_street_photo_are_found(name):
    found = detection.detect_faces(Image.open(STREET / name))

    assert all(item.kind == "face" and 0 < item.score <= 1 for item in found)
    for face in LABELS[name]["faces"]:
        assert max(overlap(Box(*face), item.box) for item in found) > 0.5, face


@pytest.mark.parametrize("name", ["Landscape_1.jpg", "Landscape_6.jpg"])
def test_a_photo_with_nobody_in_it_has_no_face(name):
    assert detection.detect_faces(Image.open(SAMPLES / name)) == []


def test_a_detector_that_fails_holds_the_photo_back(tmp_path):
    store = LocalPhotoStore(tmp_path)
    store.put("originals/a.jpg", (STREET / "city.jpg").read_bytes(), "image/jpeg")

    def broken(image: Image.Image) -> list[detection.Detection]:
        raise RuntimeError("the runtime cannot run the model")

    photo = checked_photo(photo_step.PhotoJob(1, "p1", "originals/a.jpg"), store, photo_step.PhotoSettings(detector=broken))

    assert photo.state == "awaiting_review" and photo.large_key is not None
    assert photo.public_large_key is None and photo.public_thumb_key is None


def test_the_shipped_face_model_is_the_file_its_sources_name():
    models = resources.files("service.photos").joinpath("models")
    recorded = re.search(r"SHA-256 `([0-9a-f]{64})`", models.joinpath("SOURCES.md").read_text(encoding="utf-8"))
    assert recorded is not None
    assert hashlib.sha256(models.joinpath("centerface.onnx").read_bytes()).hexdigest() == recorded.group(1)
