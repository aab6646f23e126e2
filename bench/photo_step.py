"""Time the photo step against a naive full decode and resize of the same photo.

Run from the repository root:

    python bench/photo_step.py

It makes a 12-megapixel (4032x3024) JPEG that compresses like a phone photo,
then measures in one run the median time of (a) the naive approach: full
decode, LANCZOS resize to 1600 and to 400, JPEG encode, and (b)
``make_derivatives``. It exits with status 1 when (b) takes more than a third
of (a).
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageFilter

from service.photos.derivatives import make_derivatives

WIDTH, HEIGHT = 4032, 3024
REPETITIONS = 11
LIMIT = 1 / 3


def phone_like_jpeg() -> bytes:
    """A 12-MP JPEG at quality 92 with EXIF, made of gradients, shapes and sensor noise."""
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    radial = Image.radial_gradient("L").resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    texture = Image.effect_noise((WIDTH // 8, HEIGHT // 8), 60).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    texture = texture.filter(ImageFilter.GaussianBlur(2))
    channels = []
    for sigma, base in ((14, gradient), (16, radial), (12, texture)):
        noise = Image.effect_noise((WIDTH, HEIGHT), sigma)
        channels.append(Image.blend(Image.blend(base, texture, 0.35), noise, 0.3))
    photo = Image.merge("RGB", channels)

    exif = Image.Exif()
    exif[0x010F] = "Machikoe Camera"
    exif[0x0110] = "Bench 12"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:20:30"
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def naive(data: bytes) -> None:
    """The baseline: decode every pixel and resize from full size twice."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        for side in (1600, 400):
            resized = image.resize(_fit(image.size, side), Image.Resampling.LANCZOS)
            resized.save(io.BytesIO(), format="JPEG", quality=82)


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = side / max(width, height)
    return round(width * scale), round(height * scale)


def median_seconds(steps: list[Callable[[bytes], object]], data: bytes) -> list[float]:
    """Median time of each step; the steps take turns so both see the same machine load."""
    timings: list[list[float]] = [[] for _ in steps]
    for step in steps:
        step(data)
    for _ in range(REPETITIONS):
        for step, times in zip(steps, timings):
            started = time.perf_counter()
            step(data)
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in timings]


def main() -> int:
    data = phone_like_jpeg()
    print(f"input: {WIDTH}x{HEIGHT} JPEG, {len(data) / 1e6:.2f} MB, {REPETITIONS} repetitions each")
    naive_median, step_median = median_seconds([naive, make_derivatives], data)
    ratio = step_median / naive_median
    print(f"naive decode + LANCZOS 1600 and 400 + save: median {naive_median * 1000:.1f} ms")
    print(f"make_derivatives (large 1600 + thumb 400):  median {step_median * 1000:.1f} ms")
    print(f"ratio: {ratio:.3f} (limit {LIMIT:.3f})")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
