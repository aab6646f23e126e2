"""Blurring the regions of a public derivative so that no viewer can undo it.

A Gaussian blur alone keeps most of what it hides: with little noise it can
be largely reversed by deconvolution. Each region is therefore first reduced
to a handful of cells (averages of whole blocks of pixels, so that detail
finer than a cell is gone from the file, not only softened), then smoothed
so that the cells do not read as a mosaic. Pixels outside every region are
left exactly as they were.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image, ImageFilter

from service.photos.regions import Box

# The shorter side of a region keeps at most this many cells: a face of six
# by six averaged cells carries no more than its general tone and shape.
CELLS = 6
# A cell is never smaller than this, so a large region is not merely shrunk
# to a still recognisable picture.
MIN_CELL_PIXELS = 8


def blurred(image: Image.Image, regions: Sequence[Box]) -> Image.Image:
    """A copy of ``image`` with every region (and its margin) reduced to cells and smoothed."""
    result = image.copy()
    for region in regions:
        left, top, right, bottom = region.pixels(image.size)
        width, height = right - left, bottom - top
        cell = max(MIN_CELL_PIXELS, min(width, height) / CELLS)
        cells = (max(1, math.ceil(width / cell)), max(1, math.ceil(height / cell)))
        patch = result.crop((left, top, right, bottom))
        coarse = patch.resize(cells, Image.Resampling.BOX).resize((width, height), Image.Resampling.NEAREST)
        result.paste(coarse.filter(ImageFilter.GaussianBlur(cell / 2)), (left, top))
    return result
