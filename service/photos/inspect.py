"""Intake checks of an uploaded photo, by its content, never by its name or claimed type."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image

from service.photos import PhotoRejected

# An MPO (some Android and stereo cameras) begins with an ordinary JPEG, its
# first picture, which is the one used; any JPEG viewer shows it as such.
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}

# Start-of-frame markers of the Huffman-coded 8-bit processes that phones and
# cameras write (baseline, extended sequential, progressive), with whether the
# scans are progressive. Every other process is left to the decoder to judge.
_HUFFMAN_FRAMES = {0xC0: False, 0xC1: False, 0xC2: True}
_DHT, _SOS, _DQT, _DRI, _EOI = 0xC4, 0xDA, 0xDB, 0xDD, 0xD9
# Markers that stand alone, without a length: TEM and the restart markers.
_STANDALONE = frozenset((0x01, *range(0xD0, 0xD8)))
# Inside entropy-coded data a 0xFF byte is followed by a stuffed 0x00 or is a
# restart marker; any other pair ends the scan.
_END_OF_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# libjpeg refuses a scan whose MCU holds more blocks than this.
_MAX_BLOCKS_IN_MCU = 10


@dataclass(frozen=True)
class PhotoInfo:
    format: str
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    byte_size: int


def inspect_photo(data: bytes, *, max_pixels: int) -> PhotoInfo:
    """Check that ``data`` is a whole JPEG, PNG, WebP or HEIC image of bounded size.

    A JPEG of the usual kinds (baseline or progressive, 8 bits, Huffman
    coded) is accepted by walking its markers, without decoding its pixels:
    every segment whole, tables and frame valid as the decoder requires, and
    each scan's entropy-coded data ending in a marker, the last of them the
    end of image. Any JPEG that does not pass this walk (a truncated one
    among them), and every other format, is decoded, JPEG at 1/8 scale
    through draft mode, and refused with the decoder's reason if it fails.

    Raises :class:`PhotoRejected` for an empty file, another format, a
    decompression bomb, a truncated file, or data that does not decode.
    """
    if not data:
        raise PhotoRejected("the file is empty")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if fmt not in ACCEPTED_FORMATS:
                raise PhotoRejected("not a JPEG, PNG, WebP or HEIC image")
            width, height = img.size
            if width < 1 or height < 1:
                raise PhotoRejected("the image has no pixels")
            # The pixel count comes from the header, before any pixel is
            # decoded: this is the guard against decompression bombs.
            if width * height > max_pixels:
                raise PhotoRejected(f"the image has more than {max_pixels} pixels ({width}x{height})")
            jpeg = fmt in ("JPEG", "MPO")
            if not (jpeg and jpeg_structure_is_whole(data, (width, height))):
                if jpeg:
                    img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                img.load()
    except PhotoRejected:
        raise
    except Image.UnidentifiedImageError:
        raise PhotoRejected("not a JPEG, PNG, WebP or HEIC image") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise PhotoRejected(f"the image does not decode ({_short(exc)})") from None
    return PhotoInfo(
        format=fmt,
        content_type=ACCEPTED_FORMATS[fmt],
        extension=EXTENSIONS[fmt],
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
    )


def jpeg_structure_is_whole(data: bytes, size: tuple[int, int]) -> bool:
    """Whether the marker structure of ``data`` proves a whole, decodable JPEG of ``size``.

    True for a Huffman-coded 8-bit baseline or progressive JPEG whose
    segments, tables, frame and scans are all valid and whose last scan is
    followed by the end-of-image marker (anything after it is ignored, as
    decoders do). False when the file is of another kind or has something
    the decoder may or may not accept (unknown markers, bytes between
    segments, tables it would refuse, a segment or scan cut short by the end
    of the file): the caller decodes it to find out, so that the verdict and
    its reason are the decoder's. Raises nothing.
    """
    end = len(data)
    if data[:2] != b"\xff\xd8":
        return False
    pos = 2
    progressive: bool | None = None
    components: dict[int, tuple[int, int, int]] = {}
    quant_tables: set[int] = set()
    huffman_tables: set[tuple[int, int]] = set()
    scanned: set[int] = set()
    while True:
        if pos >= end:
            return False
        if data[pos] != 0xFF:
            return False
        # A marker may be preceded by any number of 0xFF fill bytes.
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            return False
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            return progressive is not None and bool(scanned) and scanned == set(components)
        if marker in _STANDALONE:
            continue
        if pos + 2 > end:
            return False
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return False
        if pos + length > end:
            return False
        body = data[pos + 2 : pos + length]
        pos += length
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            continue
        if marker == _DQT:
            if not _read_quant_tables(body, quant_tables):
                return False
        elif marker == _DHT:
            if not _read_huffman_tables(body, huffman_tables):
                return False
        elif marker == _DRI:
            if length != 4:
                return False
        elif marker in _HUFFMAN_FRAMES:
            if progressive is not None or not _read_frame(body, size, components):
                return False
            progressive = _HUFFMAN_FRAMES[marker]
        elif marker == _SOS:
            if progressive is None or not _scan_is_valid(body, progressive, components, quant_tables, huffman_tables, scanned):
                return False
            found = _END_OF_SCAN.search(data, pos)
            if found is None:
                return False
            pos = found.start()
        else:
            return False


def _read_quant_tables(body: bytes, defined: set[int]) -> bool:
    at = 0
    while at < len(body):
        precision, table = body[at] >> 4, body[at] & 0x0F
        if precision > 1 or table > 3:
            return False
        at += 1 + 64 * (precision + 1)
        if at > len(body):
            return False
        defined.add(table)
    return True


def _read_huffman_tables(body: bytes, defined: set[tuple[int, int]]) -> bool:
    at = 0
    while at < len(body):
        if at + 17 > len(body):
            return False
        table_class, table = body[at] >> 4, body[at] & 0x0F
        counts = body[at + 1 : at + 17]
        total = sum(counts)
        if table_class > 1 or table > 3 or not 0 < total <= 256 or at + 17 + total > len(body):
            return False
        # libjpeg refuses a DC table with a symbol above 15 and a table whose
        # codes do not fit their lengths (the all-ones code stays unused).
        if table_class == 0 and max(body[at + 17 : at + 17 + total]) > 15:
            return False
        code = 0
        longest = max(length for length in range(1, 17) if counts[length - 1])
        for length in range(1, longest + 1):
            code += counts[length - 1]
            if code >= 1 << length:
                return False
            code <<= 1
        defined.add((table_class, table))
        at += 17 + total
    return True


def _read_frame(body: bytes, size: tuple[int, int], components: dict[int, tuple[int, int, int]]) -> bool:
    if len(body) < 6:
        return False
    precision = body[0]
    height, width = int.from_bytes(body[1:3], "big"), int.from_bytes(body[3:5], "big")
    count = body[5]
    if precision != 8 or (width, height) != size or count not in (1, 3, 4) or len(body) != 6 + 3 * count:
        return False
    for at in range(6, len(body), 3):
        identifier, sampling, quant_table = body[at], body[at + 1], body[at + 2]
        horizontal, vertical = sampling >> 4, sampling & 0x0F
        if identifier in components or not (1 <= horizontal <= 4 and 1 <= vertical <= 4) or quant_table > 3:
            return False
        components[identifier] = (horizontal, vertical, quant_table)
    # libjpeg upsamples only by whole factors.
    widest = max(h for h, _, _ in components.values())
    tallest = max(v for _, v, _ in components.values())
    return all(widest % h == 0 and tallest % v == 0 for h, v, _ in components.values())


def _scan_is_valid(
    body: bytes,
    progressive: bool,
    components: dict[int, tuple[int, int, int]],
    quant_tables: set[int],
    huffman_tables: set[tuple[int, int]],
    scanned: set[int],
) -> bool:
    count = body[0] if body else 0
    if not 1 <= count <= 4 or len(body) != 4 + 2 * count:
        return False
    first, last, approximation = body[-3], body[-2], body[-1]
    high, low = approximation >> 4, approximation & 0x0F
    if progressive:
        dc = first == 0
        if (dc and last != 0) or (not dc and (count != 1 or last < first or last > 63)):
            return False
        if (high != 0 and low != high - 1) or low > 13:
            return False
        # A DC refinement scan reads raw bits and uses no table.
        needs_dc, needs_ac = dc and high == 0, not dc
    else:
        if first != 0 or last != 63 or approximation != 0:
            return False
        needs_dc = needs_ac = True
    blocks = 0
    seen: set[int] = set()
    for at in range(1, 1 + 2 * count, 2):
        identifier, tables = body[at], body[at + 1]
        if identifier not in components or identifier in seen:
            return False
        seen.add(identifier)
        horizontal, vertical, quant_table = components[identifier]
        if quant_table not in quant_tables:
            return False
        if (needs_dc and (0, tables >> 4) not in huffman_tables) or (needs_ac and (1, tables & 0x0F) not in huffman_tables):
            return False
        blocks += horizontal * vertical if count > 1 else 1
    if blocks > _MAX_BLOCKS_IN_MCU:
        return False
    scanned.update(seen)
    return True


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:120]
