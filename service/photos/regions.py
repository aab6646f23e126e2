"""Regions of a photo to blur in public: boxes in the upright photo's proportions.

A box is kept as fractions of the upright photo's width and height, so one
box applies to the original, the large derivative and the thumbnail alike,
and a box drawn on the staff large derivative needs no conversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Each side of a box is pushed out by this share of the box's own size
# before blurring: a detector's box hugs the face or plate, and an ear, a
# chin or a plate's frame outside it can still identify.
MARGIN = 0.2
# A box smaller than this many pixels of the image it blurs is grown to it,
# so a tiny box on a thumbnail still covers whole JPEG blocks.
MIN_PIXELS = 8
_SLACK = 1e-6


@dataclass(frozen=True)
class Box:
    """A rectangle in fractions (0 to 1) of the upright photo: left, top, width, height."""

    left: float
    top: float
    width: float
    height: float

    def __post_init__(self) -> None:
        values = (self.left, self.top, self.width, self.height)
        if not all(math.isfinite(value) for value in values):
            raise ValueError("a box is four finite numbers")
        if self.left < 0 or self.top < 0 or self.width <= 0 or self.height <= 0:
            raise ValueError("a box starts inside the photo and has a size")
        # A little slack for the rounding of fractions sent as decimals.
        if self.left + self.width > 1 + 1e-6 or self.top + self.height > 1 + 1e-6:
            raise ValueError("a box ends inside the photo")

    def pixels(self, size: tuple[int, int], margin: float = MARGIN) -> tuple[int, int, int, int]:
        """The box with its margin in pixels of an image of ``size``, as (left, top, right, bottom), clipped to the image."""
        width, height = size
        pad_x, pad_y = self.width * margin, self.height * margin
        # The slack keeps a product such as 440.00000000000006 from taking one more pixel.
        left = math.floor((self.left - pad_x) * width + _SLACK)
        top = math.floor((self.top - pad_y) * height + _SLACK)
        right = math.ceil((self.left + self.width + pad_x) * width - _SLACK)
        bottom = math.ceil((self.top + self.height + pad_y) * height - _SLACK)
        left, right = _at_least(left, right, MIN_PIXELS, width)
        top, bottom = _at_least(top, bottom, MIN_PIXELS, height)
        return left, top, right, bottom


def _at_least(start: int, end: int, length: int, limit: int) -> tuple[int, int]:
    """Clip [start, end) to [0, limit), grown about its middle to ``length`` where the image allows."""
    if end - start < length:
        middle = (start + end) // 2
        start, end = middle - length // 2, middle - length // 2 + length
    start, end = max(0, start), min(limit, end)
    return start, max(end, min(start + 1, limit))
