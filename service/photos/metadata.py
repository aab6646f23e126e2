"""Private photo metadata: where and when a photo was taken, read before stripping.

The position and time help staff when the report's own location is missing or
doubtful. They are private details of the resident and never go into the public
derivatives, which carry no metadata at all.

``read_private_metadata`` never raises: a file without EXIF, with odd or corrupt
EXIF, or that is not an image at all gives ``None`` fields.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image

from service.photos.derivatives import pillow_warnings_silenced

# Japan has kept UTC+9 without daylight saving time since 1951, so a fixed
# offset is exactly Asia/Tokyo for any photo and needs no time zone database.
_ASSUMED_TIMEZONE = timezone(timedelta(hours=9), "Asia/Tokyo")

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_EXIF_DATETIME_FORMAT = "%Y:%m:%d %H:%M:%S"


@dataclass(frozen=True)
class PhotoMetadata:
    """Position (WGS 84 degrees) and time the photo was taken, where known."""

    lat: float | None
    lon: float | None
    taken_at: datetime | None


_NOTHING = PhotoMetadata(lat=None, lon=None, taken_at=None)


def read_private_metadata(data: bytes) -> PhotoMetadata:
    """Read the GPS position and DateTimeOriginal from a JPEG, HEIC, PNG or WebP photo.

    The position is dropped when it is impossible (outside ±90/±180, not a
    number, or exactly 0,0, which is what broken GPS units write). A naive
    DateTimeOriginal is placed in its OffsetTimeOriginal when present and in
    Asia/Tokyo otherwise, so ``taken_at`` is always timezone-aware.

    Never raises; unreadable metadata gives ``None`` fields.
    """
    with pillow_warnings_silenced():
        exif = _exif(data)
        if exif is None:
            return _NOTHING
        gps, details = _ifd(exif, ExifTags.IFD.GPSInfo), _ifd(exif, ExifTags.IFD.Exif)
    lat, lon = _position(gps)
    return PhotoMetadata(lat=lat, lon=lon, taken_at=_taken_at(details))


# The parsers below read untrusted bytes through Pillow's EXIF code, which can
# fail in many ways on crafted or damaged files. Metadata is optional, so every
# failure means "not known" rather than an error for the caller.


def _exif(data: bytes) -> Image.Exif | None:
    """Parse the EXIF block from the container's header, without decoding pixels.

    A PNG may place its EXIF after the pixel data; that block is not read,
    since finding it would mean decoding a possibly huge image.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            raw = image.info.get("exif")
            if raw is None and "Raw profile type exif" in image.info:
                # Some PNG writers keep EXIF as hex text after a short header.
                text = "".join(str(image.info["Raw profile type exif"]).split("\n")[3:])
                raw = bytes.fromhex(text)
        if not raw:
            return None
        exif = Image.Exif()
        exif.load(raw)
        return exif
    except Exception:  # noqa: BLE001 - Pillow raises any type on malformed EXIF; a bad tag only loses the tag
        return None


def _ifd(exif: Image.Exif, ifd: ExifTags.IFD) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(ifd))
    except Exception:  # noqa: BLE001 - Pillow raises any type on malformed EXIF; a bad tag only loses the tag
        return {}


def _position(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    lat = _coordinate(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
    lon = _coordinate(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    if lat is None or lon is None:
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return lat, lon


def _coordinate(value: Any, ref: Any, positive: str, negative: str) -> float | None:
    """Degrees from EXIF (degrees, minutes, seconds) rationals and a hemisphere letter."""
    try:
        parts = [float(part) for part in (value if isinstance(value, tuple | list) else (value,))]
        if not 1 <= len(parts) <= 3 or not all(math.isfinite(part) for part in parts):
            return None
        degrees = sum(part / 60**index for index, part in enumerate(parts))
        hemisphere = _text(ref).upper() if ref is not None else positive
    except Exception:  # noqa: BLE001 - Pillow raises any type on malformed EXIF; a bad tag only loses the tag
        return None
    if hemisphere == negative:
        return -abs(degrees)
    if hemisphere == positive:
        return degrees
    return None


def _taken_at(exif_ifd: dict[int, Any]) -> datetime | None:
    try:
        taken = datetime.strptime(_text(exif_ifd[ExifTags.Base.DateTimeOriginal]), _EXIF_DATETIME_FORMAT)
    except Exception:  # noqa: BLE001 - Pillow raises any type on malformed EXIF; a bad tag only loses the tag
        return None
    return taken.replace(tzinfo=_offset(exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)))


def _offset(value: Any) -> timezone:
    """The OffsetTimeOriginal as a time zone, or Asia/Tokyo when absent or malformed."""
    try:
        match = _OFFSET.match(_text(value))
    except Exception:  # noqa: BLE001 - Pillow raises any type on malformed EXIF; a bad tag only loses the tag
        return _ASSUMED_TIMEZONE
    if match is None:
        return _ASSUMED_TIMEZONE
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return _ASSUMED_TIMEZONE
    return timezone(-delta if sign == "-" else delta)


def _text(value: Any) -> str:
    """EXIF ASCII values arrive as str or bytes, often padded with NULs or spaces."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if not isinstance(value, str):
        raise TypeError("not text")
    return value.strip("\x00 ")
