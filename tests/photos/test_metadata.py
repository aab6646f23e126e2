"""Private metadata: GPS position and time taken, read from the original file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from service.photos.metadata import PhotoMetadata, read_private_metadata
from tests.photos.factories import RED, camera_exif, dms, encode

JST = timezone(timedelta(hours=9))


def photo(image_format: str = "JPEG", exif: bytes | None = None) -> bytes:
    picture = Image.new("RGB", (64, 48), RED)
    if exif is None:
        return encode(picture, image_format)
    return encode(picture, image_format, exif=exif)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (35.6812, 139.7671),  # Tokyo Station: north, east
        (-33.8568, 151.2153),  # Sydney: south, east
        (40.6892, -74.0445),  # New York: north, west
        (-34.6037, -58.3816),  # Buenos Aires: south, west
    ],
)
def test_gps_position_is_read_with_its_hemispheres(lat: float, lon: float) -> None:
    metadata = read_private_metadata(photo(exif=camera_exif(lat=lat, lon=lon)))

    assert metadata.lat == pytest.approx(lat, abs=1e-5)
    assert metadata.lon == pytest.approx(lon, abs=1e-5)


@pytest.mark.parametrize("image_format", ["JPEG", "HEIF", "PNG", "WEBP"])
def test_metadata_is_read_from_every_accepted_format(image_format: str) -> None:
    exif = camera_exif(lat=34.6937, lon=135.5023, taken="2024:05:01 10:20:30")

    metadata = read_private_metadata(photo(image_format, exif))

    assert metadata.lat == pytest.approx(34.6937, abs=1e-5)
    assert metadata.lon == pytest.approx(135.5023, abs=1e-5)
    assert metadata.taken_at == datetime(2024, 5, 1, 10, 20, 30, tzinfo=JST)


def test_time_taken_without_offset_is_japan_time() -> None:
    metadata = read_private_metadata(photo(exif=camera_exif(taken="2024:12:31 23:59:58")))

    assert metadata.taken_at is not None
    assert metadata.taken_at.utcoffset() == timedelta(hours=9)
    assert metadata.taken_at == datetime(2024, 12, 31, 14, 59, 58, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "utc_offset"),
    [("-05:00", timedelta(hours=-5)), ("+05:30", timedelta(hours=5, minutes=30)), ("+00:00", timedelta(0))],
)
def test_time_taken_uses_offset_time_original(offset: str, utc_offset: timedelta) -> None:
    metadata = read_private_metadata(photo(exif=camera_exif(taken="2024:05:01 10:20:30", offset=offset)))

    assert metadata.taken_at is not None
    assert metadata.taken_at.utcoffset() == utc_offset
    assert metadata.taken_at.replace(tzinfo=None) == datetime(2024, 5, 1, 10, 20, 30)


@pytest.mark.parametrize("offset", ["garbage", "+25:00", "+09:75", ""])
def test_malformed_offset_falls_back_to_japan_time(offset: str) -> None:
    metadata = read_private_metadata(photo(exif=camera_exif(taken="2024:05:01 10:20:30", offset=offset)))

    assert metadata.taken_at == datetime(2024, 5, 1, 10, 20, 30, tzinfo=JST)


@pytest.mark.parametrize("taken", ["0000:00:00 00:00:00", "    :  :     :  :  ", "2024-05-01T10:20:30", "tomorrow"])
def test_unreadable_time_taken_is_none_and_position_still_read(taken: str) -> None:
    metadata = read_private_metadata(photo(exif=camera_exif(lat=35.0, lon=135.0, taken=taken)))

    assert metadata.taken_at is None
    assert (metadata.lat, metadata.lon) == (pytest.approx(35.0), pytest.approx(135.0))


def test_photo_without_exif_has_no_metadata() -> None:
    assert read_private_metadata(photo()) == PhotoMetadata(lat=None, lon=None, taken_at=None)


@pytest.mark.parametrize(
    "gps",
    [
        {ExifTags.GPS.GPSLatitude: dms(95.0)},
        {ExifTags.GPS.GPSLongitude: dms(200.0)},
        {
            ExifTags.GPS.GPSLatitude: dms(0.0),
            ExifTags.GPS.GPSLongitude: dms(0.0),
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLongitudeRef: "E",
        },
        {ExifTags.GPS.GPSLatitudeRef: "X"},
        {ExifTags.GPS.GPSLatitude: (IFDRational(35, 1), IFDRational(40, 1), IFDRational(52, 0))},
        {ExifTags.GPS.GPSLongitude: (*dms(139.0), IFDRational(1, 1))},
    ],
    ids=["latitude-over-90", "longitude-over-180", "null-island", "bad-hemisphere", "zero-denominator", "four-parts"],
)
def test_impossible_position_is_dropped(gps: dict[int, object]) -> None:
    exif = camera_exif(lat=35.6812, lon=139.7671, gps=gps, taken="2024:05:01 10:20:30")

    metadata = read_private_metadata(photo(exif=exif))

    assert (metadata.lat, metadata.lon) == (None, None)
    assert metadata.taken_at == datetime(2024, 5, 1, 10, 20, 30, tzinfo=JST)


def test_position_without_longitude_is_dropped() -> None:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = dms(35.0)

    assert read_private_metadata(photo(exif=exif.tobytes())) == PhotoMetadata(lat=None, lon=None, taken_at=None)


@pytest.mark.parametrize(
    "exif",
    [
        b"Exif\x00\x00" + bytes(range(256)) * 4,
        b"Exif\x00\x00II*\x00\xff\xff\xff\x7f",
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x88\x25\x00\x04\x00\x00\x00\x01\xff\xff\xff\x00",
        b"Exif\x00\x00",
    ],
    ids=["noise", "offset-past-end", "gps-pointer-past-end", "empty"],
)
def test_corrupt_exif_gives_no_metadata_and_no_error(exif: bytes) -> None:
    assert read_private_metadata(photo(exif=exif)) == PhotoMetadata(lat=None, lon=None, taken_at=None)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00"])
def test_data_that_is_not_an_image_gives_no_metadata(data: bytes) -> None:
    assert read_private_metadata(data) == PhotoMetadata(lat=None, lon=None, taken_at=None)
