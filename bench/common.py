"""Helpers shared by the benchmarks: a phone-like photo, percentiles, the machine.

Nothing here raises on its own except :func:`with_exif`, which raises
``ValueError`` when the bytes it is given are not a JPEG.
"""

from __future__ import annotations

import io
import math
import os
import platform
import struct
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PHOTO_WIDTH, PHOTO_HEIGHT = 4032, 3024
PHOTO_QUALITY = 90

# EXIF tags by number, as the camera writes them.
_MAKE, _MODEL, _ORIENTATION, _SOFTWARE, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0131, 0x0132
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _IMAGE_UNIQUE_ID = 0x9003, 0x9011, 0xA420
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


def phone_photo_pixels(seed: int = 7) -> bytes:
    """A 12-MP (4032x3024) JPEG at quality 90 that compresses like a phone photo (about 3 MB).

    It carries no metadata; :func:`with_exif` adds what a phone writes. The
    picture is a smooth colour field with blurred shapes, an asphalt-like
    medium-grain texture and faint sensor noise: enough detail that the JPEG
    is as large and as slow to decode as a real street photo.
    """
    rng = np.random.default_rng(seed)
    field = rng.integers(40, 220, (12, 16, 3), dtype=np.uint8)
    picture = Image.fromarray(field, "RGB").resize((PHOTO_WIDTH, PHOTO_HEIGHT), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(picture)
    for _ in range(120):
        x, y = (int(v) for v in rng.integers(0, (PHOTO_WIDTH, PHOTO_HEIGHT)))
        width, height = (int(v) for v in rng.integers(20, 600, 2))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
        shape([x, y, x + width, y + height], fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(1.5))
    grain = rng.normal(0, 1, (PHOTO_HEIGHT // 3, PHOTO_WIDTH // 3)).clip(-3, 3) * 15 + 128
    grain_image = Image.fromarray(grain.astype(np.uint8)).resize((PHOTO_WIDTH, PHOTO_HEIGHT), Image.Resampling.BICUBIC)
    pixels = np.asarray(picture).astype(np.int16)
    pixels += np.asarray(grain_image).astype(np.int16)[..., None] - 128
    pixels += rng.normal(0, 3, pixels.shape).astype(np.int16)
    buffer = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB").save(buffer, format="JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


def with_exif(
    jpeg: bytes,
    *,
    orientation: int,
    lat: float | None = None,
    lon: float | None = None,
    taken_at: datetime | None = None,
    unique_id: str | None = None,
) -> bytes:
    """The same JPEG with a phone's EXIF block (camera, orientation, time, GPS) in front.

    The pixels are not re-encoded: the EXIF segment is spliced in after the
    start-of-image marker, replacing a JFIF header if there is one, so making
    hundreds of distinct photos costs a byte copy each. A ``unique_id`` makes
    the file's content hash differ from every other copy, as real photos do.

    Raises ValueError when ``jpeg`` does not start with a JPEG marker.
    """
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    exif = Image.Exif()
    exif[_MAKE] = "Machikoe"
    exif[_MODEL] = "Street Phone 12"
    exif[_SOFTWARE] = "17.4"
    exif[_ORIENTATION] = orientation
    moment = (taken_at or datetime(2024, 5, 1, 10, 20, 30)).strftime("%Y:%m:%d %H:%M:%S")
    exif[_DATETIME] = moment
    details = exif.get_ifd(_EXIF_IFD)
    details[_DATETIME_ORIGINAL] = moment
    details[_OFFSET_TIME_ORIGINAL] = "+09:00"
    if unique_id is not None:
        details[_IMAGE_UNIQUE_ID] = unique_id
    if lat is not None and lon is not None:
        gps = exif.get_ifd(_GPS_IFD)
        gps[_GPS_LAT_REF] = "N" if lat >= 0 else "S"
        gps[_GPS_LAT] = _degrees_minutes_seconds(abs(lat))
        gps[_GPS_LON_REF] = "E" if lon >= 0 else "W"
        gps[_GPS_LON] = _degrees_minutes_seconds(abs(lon))
    payload = exif.tobytes()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    rest = jpeg[2:]
    if rest.startswith(b"\xff\xe0"):
        (length,) = struct.unpack(">H", rest[2:4])
        rest = rest[2 + length:]
    return b"\xff\xd8" + segment + rest


def _degrees_minutes_seconds(value: float) -> tuple[float, float, float]:
    degrees = math.floor(value)
    minutes = math.floor((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie, interpolated linearly.

    Returns NaN for an empty sequence.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def machine_summary() -> str:
    """One line naming the CPU, the core count and the versions that matter to the figures."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    packages = ", ".join(f"{name} {_version(name)}" for name in ("Pillow", "shapely", "numpy"))
    return f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}; {packages}"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"
