"""Regions blurred in public derivatives: cells that cannot be undone inside, the very same pixels outside."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from service.domain import photo_step
from service.photos.blur import blurred
from service.photos.regions import Box
from service.storage.local import LocalPhotoStore
from tests.photos.factories import detailed_picture, encode

BOX = Box(0.25, 0.25, 0.25, 0.2)


def spread(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The mean standard deviation of the channels inside ``box``: detail left in it."""
    return sum(ImageStat.Stat(image.crop(box)).stddev) / 3


def difference(first: Image.Image, second: Image.Image, box: tuple[int, int, int, int]) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(first.crop(box), second.crop(box))).mean) / 3


def test_a_region_is_reduced_to_smooth_cells_and_the_rest_is_left_exactly_as_it_was():
    sharp = detailed_picture((800, 600))

    result = blurred(sharp, [BOX])

    left, top, right, bottom = BOX.pixels(sharp.size)
    assert (left, top, right, bottom) == (160, 126, 440, 294)  # the box and a margin of a fifth of it on each side
    assert spread(result, (left, top, right, bottom)) < 0.25 * spread(sharp, (left, top, right, bottom))
    outside = Image.new("L", sharp.size, 255)
    outside.paste(0, (left, top, right, bottom))
    assert ImageChops.difference(result, sharp).convert("L").point(lambda v: 255 if v else 0).getbbox() == (left, top, right, bottom)
    assert ImageChops.multiply(ImageChops.difference(result, sharp).convert("L"), outside).getbbox() is None
    assert sharp.tobytes() == detailed_picture((800, 600)).tobytes()  # the picture given is not changed


def test_a_tiny_region_still_covers_whole_blocks():
    sharp = detailed_picture((400, 300))

    left, top, right, bottom = Box(0.5, 0.5, 0.001, 0.001).pixels(sharp.size)

    assert right - left >= 8 and bottom - top >= 8
    assert blurred(sharp, [Box(0.5, 0.5, 0.001, 0.001)]).tobytes() != sharp.tobytes()


@pytest.mark.parametrize("values", [(-0.1, 0, 0.5, 0.5), (0.6, 0, 0.5, 0.5), (0, 0, 0, 0.5), (0, 0, float("nan"), 0.5)])
def test_a_box_outside_the_photo_or_without_a_size_is_refused(values):
    with pytest.raises(ValueError):
        Box(*values)


def test_the_photo_step_stores_sharp_derivatives_for_staff_and_blurred_ones_for_the_public(tmp_path):
    store = LocalPhotoStore(tmp_path)
    original = encode(detailed_picture((2400, 1800)), "JPEG", quality=95)
    store.put("originals/a.jpg", original, "image/jpeg")
    job = photo_step.PhotoJob(1, "photo1", "originals/a.jpg", (BOX,), 3)

    outcome = photo_step.render(job, store, photo_step.PhotoSettings())

    assert outcome.state == "ready"
    assert outcome.public_large_key == "derivatives/photo1/blurred-3/large.jpg"
    sharp = Image.open(io.BytesIO(store.get(outcome.large_key))).convert("RGB")
    public = Image.open(io.BytesIO(store.get(outcome.public_large_key))).convert("RGB")
    thumb = Image.open(io.BytesIO(store.get(outcome.public_thumb_key))).convert("RGB")
    assert sharp.size == public.size == (1600, 1200) and thumb.size == (400, 300)
    left, top, right, bottom = BOX.pixels(public.size)
    inside = (left + 8, top + 8, right - 8, bottom - 8)
    assert spread(public, inside) < 0.25 * spread(sharp, inside)
    thumb_box = tuple(value // 4 for value in inside)
    sharp_thumb = Image.open(io.BytesIO(store.get(outcome.thumb_key))).convert("RGB")
    assert spread(thumb, thumb_box) < 0.4 * spread(sharp_thumb, thumb_box)
    # Away from the box (JPEG blocks that do not touch it) the two files decode to the same pixels.
    assert difference(public, sharp, (0, 0, 1600, top - 16)) < 0.5
    assert difference(public, sharp, (right + 16, 0, 1600, 1200)) < 0.5
    assert store.get("originals/a.jpg") == original


def test_the_photo_step_without_regions_makes_no_second_set_of_files(tmp_path):
    store = LocalPhotoStore(tmp_path)
    store.put("originals/a.jpg", encode(detailed_picture((800, 600)), "JPEG"), "image/jpeg")

    outcome = photo_step.render(photo_step.PhotoJob(1, "photo1", "originals/a.jpg"), store, photo_step.PhotoSettings())

    assert (outcome.public_large_key, outcome.public_thumb_key) == (outcome.large_key, outcome.thumb_key)
    assert sorted(p.name for p in (tmp_path / "derivatives" / "photo1").iterdir()) == ["large.jpg", "thumb.jpg"]
