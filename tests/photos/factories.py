"""Real image files for the photo tests, built with Pillow and pillow-heif."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

from PIL import ExifTags, Image, ImageCms, ImageDraw
from PIL.TiffImagePlugin import IFDRational

import service.photos  # noqa: F401  (registers the HEIF opener and encoder)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)

# How a camera stores the upright picture for each EXIF orientation: the
# transposition that a viewer undoes when it applies the tag (EXIF 2.32, 4.6.4).
STORED_FOR_ORIENTATION: dict[int, Image.Transpose | None] = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


# x265's fastest preset: what a test proves of a HEIC photo is in its decoding, and the
# default preset takes many seconds for a large picture on a loaded machine.
HEIF_ENCODING = {"enc_params": {"preset": "ultrafast"}}


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    extra = HEIF_ENCODING if image_format == "HEIF" else {}
    image.save(buffer, format=image_format, **{**extra, **params})
    return buffer.getvalue()


def marked_picture(size: tuple[int, int]) -> Image.Image:
    """A white picture with a red block in its top-left corner and nothing else."""
    picture = Image.new("RGB", size, WHITE)
    width, height = size
    picture.paste(RED, (0, 0, width // 4, height // 4))
    return picture


def detailed_picture(size: tuple[int, int]) -> Image.Image:
    """Thin coloured lines in every direction: fine detail that blurring or aliasing would spoil."""
    picture = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(picture)
    width, height = size
    for step in range(0, width + height, 23):
        colour = (step * 7 % 256, step * 13 % 256, step * 29 % 256)
        draw.line((step, 0, step - height, height), fill=colour, width=1 + step % 3)
        draw.line((0, step, width, step - width // 3), fill=colour, width=1 + step % 2)
    return picture


def stored_with_orientation(picture: Image.Image, orientation: int, **params: object) -> bytes:
    """The JPEG a camera writes for ``picture`` when it tags it with ``orientation``."""
    method = STORED_FOR_ORIENTATION[orientation]
    stored = picture.transpose(method) if method is not None else picture
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes(), **params)


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees as EXIF degree, minute and second rationals (seconds in hundredths)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    hundredths = round(((value - degrees) * 60 - minutes) * 6000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(hundredths, 100)


def camera_exif(
    *,
    lat: float | None = None,
    lon: float | None = None,
    gps: dict[int, object] | None = None,
    taken: str | None = None,
    offset: str | None = None,
) -> bytes:
    """EXIF as a phone writes it: camera, serial number, maker note, GPS and times."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Machikoe Phone"
    exif[ExifTags.Base.Model] = "Model SECRET-MODEL"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = "SN-SECRET-0042"
    details[ExifTags.Base.MakerNote] = b"MAKERNOTE-SECRET-BYTES"
    if taken is not None:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    position = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if lat is not None and lon is not None:
        position[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        position[ExifTags.GPS.GPSLatitude] = dms(lat)
        position[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        position[ExifTags.GPS.GPSLongitude] = dms(lon)
    position.update(gps or {})
    return exif.tobytes()


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def swapped_primaries_profile() -> bytes:
    """An RGB display profile whose red and green primaries are sRGB's green and red.

    Pixels tagged with it must change colour when converted to sRGB, which is
    what shows that the conversion really happens.
    """
    srgb_red = (0.4361, 0.2225, 0.0139)
    srgb_green = (0.3851, 0.7169, 0.0971)
    srgb_blue = (0.1431, 0.0606, 0.7141)
    d50 = (0.9642, 1.0, 0.8249)

    def xyz(values: Sequence[float]) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    def curve(gamma: float) -> bytes:
        return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)

    name = b"Swapped primaries"
    description = (
        b"desc" + bytes(4) + struct.pack(">I", len(name) + 1) + name + b"\x00" + bytes(8) + bytes(3) + bytes(67)
    )
    tags = [
        (b"desc", description),
        (b"cprt", b"text" + bytes(4) + b"Public domain\x00"),
        (b"wtpt", xyz(d50)),
        (b"rXYZ", xyz(srgb_green)),
        (b"gXYZ", xyz(srgb_red)),
        (b"bXYZ", xyz(srgb_blue)),
        (b"rTRC", curve(2.2)),
        (b"gTRC", curve(2.2)),
        (b"bTRC", curve(2.2)),
    ]
    table = struct.pack(">I", len(tags))
    body = b""
    offset = 128 + 4 + 12 * len(tags)
    for signature, tag_data in tags:
        data = tag_data + bytes(-len(tag_data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = 128 + len(table) + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(4 + 4 + 4 + 4 + 8 + 4)
        + b"".join(struct.pack(">i", round(v * 65536)) for v in d50)
        + bytes(4 + 16 + 28)
    )
    assert len(header) == 128
    return header + table + body


def sixteen_bit_grey_gradient_png(width: int = 256, height: int = 8) -> bytes:
    """A 16-bit greyscale PNG whose columns run evenly from black to white."""
    row = b"".join(struct.pack("<H", round(x * 65535 / (width - 1))) for x in range(width))
    gradient = Image.frombytes("I;16", (width, height), row * height)
    return encode(gradient, "PNG")


def blank_png_of_size(width: int, height: int) -> bytes:
    """A valid one-bit PNG of any size, a few kilobytes long however big it claims to be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    rows = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )


def animation(image_format: str, colours: Sequence[tuple[int, int, int]], size: tuple[int, int] = (64, 48)) -> bytes:
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return encode(frames[0], image_format, save_all=True, append_images=frames[1:], duration=100, loop=0)


def jpeg_segments(data: bytes) -> list[int]:
    """The marker codes of a JPEG file's header segments, up to the image data."""
    assert data[:2] == b"\xff\xd8"
    markers = []
    position = 2
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return markers


def riff_chunks(data: bytes) -> list[bytes]:
    """The chunk names of a WebP (RIFF) file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    names = []
    position = 12
    while position + 8 <= len(data):
        name = data[position : position + 4]
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        names.append(name)
        position += 8 + length + (length & 1)
    return names
