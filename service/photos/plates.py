"""Finding Japanese licence plates in a photo by their shape, on the CPU, offline.

No plate model ships inside a wheel of the package registry that this
project can use: opencv-python 5 has neither the cascade classifier nor the
cascade files of OpenCV 4 (docs/privacy-detectors.md). A Japanese plate is a
flat rectangle of about 2:1 (330×165 mm, kei cars too), white, yellow, green
or black, carrying two rows of characters in strong contrast with it. So the
detector looks for what such a plate leaves in a picture:

1. vertical strokes: the horizontal gradient of the grey picture, kept where
   it is strong, marks the edges of characters;
2. those marks, closed horizontally over about a character's gap, melt into
   one blob per row of characters, and rows stacked closely into one blob per
   plate;
3. a blob is a plate candidate when its box is about 2:1, of a plate's size
   and inside the frame;
4. a candidate is kept when the inside of its box looks like a plate: a
   background of one tone, as even on its left as on its right, and
   characters of the other tone covering a fair share of it, in several
   separate strokes.

OpenCV (``cv2``) does the image work; like the face detector it is imported
when the detector is made, so a broken install fails the detection and the
photo waits for staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from service.photos.detection import Detection
from service.photos.regions import Box

# The picture is looked at with its long side at most this many pixels. A plate
# 40 px wide in a 1600 px derivative (the smallest the bar counts) keeps its
# characters about 8 px high at 1600 px, which the stroke marks still find.
PLATE_SIDE = 1600
# A plate's box, width over height: 2:1 on paper, 1.4 to 3.8 once the camera
# looks at it from the side or from above, the blob misses a row's edge or
# takes in an edge of the body beside the plate.
ASPECT = (1.4, 3.8)
# The plate's width as a share of the picture's long side: from the 40 px of
# the bar in a 1600 px picture (a little less, as the blob may miss an edge)
# to a plate photographed from close by.
WIDTH_SHARE = (0.02, 0.35)
# The share of a plate's box covered by its characters, once the box is
# split into background and foreground tones: strokes, not a solid patch.
INK_SHARE = (0.12, 0.55)
# The least contrast between a plate's characters and its background, in grey levels.
CONTRAST = 45
# The most the background may differ between the left and right quarters of
# a plate's box, in grey levels: a plate is painted one colour, while words
# printed over a photo lie on whatever is behind them.
EVEN_BACKGROUND = 40
# The least number of separate strokes on a plate: its digits alone are four
# or more, so a box with fewer dark or light marks is something else.
STROKES = 4


class PlateDetector:
    """Plates by their shape; no model, so one detector per process costs nothing to keep."""

    def __init__(self, *, side: int = PLATE_SIDE) -> None:
        import cv2

        self._cv2: Any = cv2
        self.side = side

    def __call__(self, image: Image.Image) -> list[Detection]:
        cv2 = self._cv2
        width, height = image.size
        scale = min(1.0, self.side / max(width, height))
        fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = image.convert("L")
        if fitted != image.size:
            grey = grey.resize(fitted, Image.Resampling.BILINEAR)
        pixels = np.asarray(grey)
        found: list[Detection] = []
        for left, top, wide, tall in _candidates(cv2, pixels):
            score = _plate_score(cv2, pixels[top:top + tall, left:left + wide])
            if score > 0:
                box = Box(left / fitted[0], top / fitted[1], wide / fitted[0], tall / fitted[1])
                found.append(Detection(box, "plate", score))
        return _strongest(found)


def _candidates(cv2: Any, pixels: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, width, height in pixels) of blobs of vertical strokes shaped like a plate."""
    long_side = max(pixels.shape)
    gradient = np.abs(cv2.Sobel(pixels, cv2.CV_16S, 1, 0, ksize=3))
    strokes = (gradient > 80).astype(np.uint8) * 255
    # Characters of a plate 40 px wide are about 3 px apart and their two rows
    # about 2 px; closing over a little more joins a plate into one blob.
    gap = max(3, round(long_side / 320))
    closed = cv2.morphologyEx(strokes, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap * 2 + 1, gap)))
    opened = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 2)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    boxes = []
    for left, top, wide, tall, area in stats[1:count]:
        if not WIDTH_SHARE[0] * long_side <= wide <= WIDTH_SHARE[1] * long_side:
            continue
        if not ASPECT[0] <= wide / tall <= ASPECT[1] or area < 0.45 * wide * tall:
            continue
        # A blob on the picture's edge is dropped: a plate cut by the frame
        # shows only part of its number, while branches and roofs running
        # out of the frame made the strays seen on photos without vehicles.
        if left == 0 or top == 0 or left + wide == pixels.shape[1] or top + tall == pixels.shape[0]:
            continue
        boxes.append((int(left), int(top), int(wide), int(tall)))
    return boxes


def _plate_score(cv2: Any, inside: np.ndarray) -> float:
    """How much the inside of a box looks like a plate, from 0 (not at all) to 1."""
    _, split = cv2.threshold(inside, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light = split > 0
    light_share = float(light.mean())
    # The characters are the smaller of the two tones: dark on white and
    # yellow plates, light on green and black ones.
    ink = ~light if light_share > 0.5 else light
    ink_share = float(ink.mean())
    if not INK_SHARE[0] <= ink_share <= INK_SHARE[1]:
        return 0.0
    contrast = float(inside[light].mean() - inside[~light].mean())
    if contrast < CONTRAST:
        return 0.0
    background = ~ink
    quarter = max(1, inside.shape[1] // 4)
    left, right = inside[:, :quarter][background[:, :quarter]], inside[:, -quarter:][background[:, -quarter:]]
    if not left.size or not right.size or abs(float(np.median(left)) - float(np.median(right))) > EVEN_BACKGROUND:
        return 0.0
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    tall = inside.shape[0]
    # A stroke is a mark at least a fifth of the box high and not as wide as the box.
    strokes = sum(1 for _, _, wide, high, _ in stats[1:count] if high >= tall / 5 and wide < inside.shape[1] / 2)
    if strokes < STROKES:
        return 0.0
    return min(1.0, contrast / 160) * min(1.0, strokes / 8)


def _strongest(found: Sequence[Detection]) -> list[Detection]:
    """The detections, a box inside a stronger one dropped."""
    kept: list[Detection] = []
    for item in sorted(found, key=lambda detection: -detection.score):
        if not any(_inside(item.box, other.box) for other in kept):
            kept.append(item)
    return kept


def _inside(box: Box, other: Box) -> bool:
    width = max(0.0, min(box.left + box.width, other.left + other.width) - max(box.left, other.left))
    height = max(0.0, min(box.top + box.height, other.top + other.height) - max(box.top, other.top))
    return width * height > 0.5 * box.width * box.height


@lru_cache(maxsize=1)
def plate_detector() -> PlateDetector:
    """The process's plate detector, made on first use."""
    return PlateDetector()


def detect_plates(image: Image.Image) -> list[Detection]:
    """The plates in a picture, by the process's detector; raises when OpenCV cannot be loaded."""
    return plate_detector()(image)
