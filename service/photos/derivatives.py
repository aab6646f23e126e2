"""Public photo derivatives: upright, small, in sRGB and free of all metadata.

A resident's photo may carry the GPS position of their home, the camera's serial
number and other private details. The derivatives made here are the only images
that are ever shown in public, so they are rebuilt from pixels alone: EXIF
orientation is applied first, colours are converted to sRGB, and nothing of the
original file's metadata is written back.

``make_derivatives`` raises ``PhotoRejected`` when the data is not an image it
can decode safely (empty, truncated, corrupt, unknown format, too many pixels),
and plain ``ValueError`` when it is called with impossible arguments.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from service.photos import MAX_PIXELS, PhotoRejected

_CONTENT_TYPES = {"JPEG": "image/jpeg", "WEBP": "image/webp"}

# An MPO (stereo and multi-picture cameras) is a JPEG followed by more JPEGs;
# Pillow opens it at its first picture and decodes it as a JPEG.
_JPEG_FORMATS = ("JPEG", "MPO")

# Pillow's own name for each EXIF orientation value, exactly as in
# ImageOps.exif_transpose, so that orientations 1 to 8 all come out upright.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_EXIF_ORIENTATION_TAG = 0x0112

# The ICC colour space signature that goes with each working mode.
_ICC_SPACE_FOR_MODE = {"RGB": "RGB ", "RGBA": "RGB ", "L": "GRAY", "CMYK": "CMYK"}

# Decoders for hostile input fail in many ways; these are the ones Pillow and
# pillow-heif raise for data that is not a well-formed image.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    RuntimeError,
    struct.error,
)

# A DCT-scaled JPEG decode leaves the large size less than twice smaller than
# what was decoded, so it takes a single pass. At such ratios BICUBIC is as
# close to a full-size LANCZOS resize as LANCZOS itself (42-49 dB PSNR, far
# above the JPEG encoding loss of about 33 dB) and a quarter cheaper. Shorter
# filters (BILINEAR, HAMMING) save another third of this pass, the most
# expensive one of the photo step, but visibly soften thin lines.
_LARGE_RESAMPLE = Image.Resampling.BICUBIC
# Formats without a reduced decode (HEIC, PNG, WebP) arrive at full size. A
# gap of 1.25 first averages whole blocks (2x2 for a 12 MP photo, 4x4 for
# 48 MP), which is several times cheaper than filtering every source pixel,
# and leaves BICUBIC the same short last step as after a JPEG's DCT scaling.
# A JPEG's last step is always below 2.5, so it is never reduced.
_LARGE_REDUCING_GAP = 1.25

# The thumbnail is made from the large image, usually exactly four times
# smaller. Reducing by the whole factor first (averaging blocks of 4x4 pixels,
# 39-41 dB PSNR from a LANCZOS resize of the full-size photo, still far above
# the JPEG encoding loss) leaves LANCZOS almost nothing to do and costs a third
# of Pillow's default gap of 2 (47-50 dB).
_THUMB_RESAMPLE = Image.Resampling.LANCZOS
_THUMB_REDUCING_GAP = 1.0

_WHITE = (255, 255, 255)

# The modes OpenCV resizes as Pillow would: unassociated alpha (RGBA) would
# bleed the colour of transparent pixels into their neighbours, so it stays
# with Pillow, which premultiplies.
_OPENCV_MODES = ("L", "RGB", "CMYK")
# The longest last step OpenCV's cubic resize takes (_last_step).
_CUBIC_UP_TO = 1.3
# Formats decoded straight into an array when their pixels are plain 8-bit RGB (_decode_to_array).
_ARRAY_FORMATS = ("HEIF", "PNG", "WEBP")


@dataclass(frozen=True)
class Derivative:
    """One encoded image, ready to store and serve."""

    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Derivatives:
    """The two public sizes made from one photo."""

    large: Derivative
    thumb: Derivative


def make_derivatives(
    data: bytes,
    *,
    large_side: int = 1600,
    thumb_side: int = 400,
    image_format: str = "JPEG",
    quality: int = 82,
    max_pixels: int = MAX_PIXELS,
) -> Derivatives:
    """Make the large and thumbnail derivatives of a photo.

    Each derivative fits in a square of its side, is never larger than the
    upright original, has its pixels in sRGB and carries no metadata at all.
    Transparent images are flattened on white for JPEG and keep their alpha
    channel for WEBP. Only the first frame of an animation is used. The same
    input always gives the same bytes.

    Raises:
        PhotoRejected: the data is empty, not an image, truncated, corrupt, or
            has more than ``max_pixels`` pixels.
        ValueError: an argument is out of range or the format is unsupported.
    """
    if not 1 <= thumb_side <= large_side:
        raise ValueError("sides must satisfy 1 <= thumb_side <= large_side")
    _check_encoding(thumb_side, image_format, quality)
    large = upright_large(data, large_side=large_side, image_format=image_format, max_pixels=max_pixels)
    return encode_derivatives(large, thumb_side=thumb_side, image_format=image_format, quality=quality)


def upright_large(data: bytes, *, large_side: int = 1600, image_format: str = "JPEG",
                  max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode a photo into the picture of the large derivative: upright, in sRGB, fitting ``large_side``.

    The picture is in a mode the encoder of ``image_format`` stores as is.
    It is the one both the sharp and the blurred derivatives are encoded
    from, and the one a detector looks at. Raises like :func:`make_derivatives`.
    """
    _content_type(image_format)
    if max_pixels < 1:
        raise ValueError("max_pixels must be positive")
    image_format = image_format.upper()
    cv2 = _opencv()
    decoded = _decode_to_array(cv2, data, max_pixels=max_pixels) if cv2 is not None else None
    if decoded is not None:
        pixels, icc_profile, orientation = decoded
        large = _with_srgb(_array_fit(cv2, pixels, large_side), icc_profile)
    else:
        image, icc_profile, orientation = _decode(data, large_side=large_side, max_pixels=max_pixels)
        # Shrinking first and turning upright afterwards gives the same pixels
        # (both fit a square of the same side) and rotates far fewer of them.
        # The decoded image is this call's own, so it may be converted in place.
        working = _working_mode(image)
        if cv2 is not None and working.mode in _OPENCV_MODES:
            large = _with_srgb(_opencv_fit(cv2, working, large_side), icc_profile)
        else:
            # Each half of the large image is converted to sRGB by the thread that
            # resized it, while its pixels are still in that core's cache.
            large = _fit(working, large_side, _LARGE_RESAMPLE, _LARGE_REDUCING_GAP, halves=True,
                         then=lambda part: _to_srgb(part, icc_profile, owned=True))
    large = _output_mode(large, image_format)
    if orientation is not None:
        large = large.transpose(orientation)
    return large


def encode_derivatives(large: Image.Image, *, thumb_side: int = 400, image_format: str = "JPEG",
                       quality: int = 82) -> Derivatives:
    """Encode the large picture from :func:`upright_large` and the thumbnail made from it; ``large`` is not changed."""
    _check_encoding(thumb_side, image_format, quality)
    content_type = _content_type(image_format)
    image_format = image_format.upper()
    # The large image is encoded by the helper thread while this one makes
    # and encodes the thumbnail; both read the large image and neither changes it.
    large_encoded = _helper().submit(_encode, large, image_format, content_type, quality)
    thumb = _fit(large, thumb_side, _THUMB_RESAMPLE, _THUMB_REDUCING_GAP)
    thumb_encoded = _encode(thumb if thumb is not large else large.copy(), image_format, content_type, quality)
    return Derivatives(large=large_encoded.result(), thumb=thumb_encoded)


def _check_encoding(thumb_side: int, image_format: str, quality: int) -> None:
    _content_type(image_format)
    if thumb_side < 1:
        raise ValueError("thumb_side must be positive")
    if not 1 <= quality <= 100:
        raise ValueError("quality must be between 1 and 100")


@lru_cache(maxsize=1)
def _helper() -> ThreadPoolExecutor:
    """The threads that take half of the work of a derivative.

    Pillow releases the GIL while it resizes and encodes, so on a machine
    with a second core idle the photo step finishes sooner; its CPU time is
    the same. Two, so that two photos made at the same time (a worker with
    a pool of threads) do not wait for each other's half. Created on first
    use, they live as long as the process.
    """
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="derivatives")


def _content_type(image_format: str) -> str:
    try:
        return _CONTENT_TYPES[image_format.upper()]
    except KeyError:
        raise ValueError(f"unsupported output format {image_format!r}") from None


def _decode(
    data: bytes, *, large_side: int, max_pixels: int
) -> tuple[Image.Image, bytes | None, Image.Transpose | None]:
    """Decode the first frame, reduced where the format allows.

    Returns the image as stored, the ICC profile that describes its pixels,
    and the transposition that makes it upright (None when it is upright).
    """
    if not data:
        raise PhotoRejected("empty file")
    with pillow_warnings_silenced():
        opened = _open(data)
        # The image reads from an in-memory buffer, so there is no file to
        # close; keeping the decoded image rather than a copy saves a copy.
        width, height = opened.size
        if width < 1 or height < 1:
            raise PhotoRejected("image has no pixels")
        if width * height > max_pixels:
            raise PhotoRejected(f"image has too many pixels: {width}x{height} is more than {max_pixels}")
        _request_reduced_decode(opened, large_side)
        if opened.format in _JPEG_FORMATS:
            # The whole file in one call to the decoder, which runs without the
            # GIL: in blocks of 64 KiB it would wait for the GIL between blocks
            # whenever another thread of the process runs Python (ten times
            # slower with one such thread).
            opened.decodermaxblock = len(data)
        try:
            opened.load()
        except _DECODE_ERRORS as exc:
            raise PhotoRejected(_decode_reason(exc)) from None
        icc_profile = opened.info.get("icc_profile") or None
        method = _ORIENTATION_TRANSPOSE.get(_orientation(opened))
    return opened, icc_profile, method


def _open(data: bytes) -> ImageFile.ImageFile:
    """Read the image header, rejecting what is not an image."""
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoRejected("not a recognised image format") from None
    except _DECODE_ERRORS as exc:
        raise PhotoRejected(_decode_reason(exc)) from None


@contextmanager
def pillow_warnings_silenced() -> Iterator[None]:
    """Silence Pillow's warnings about damaged metadata while decoding.

    Pillow warns about corrupt EXIF and then carries on; where warnings are
    turned into errors the same file would fail instead, so the outcome would
    depend on the process's warning filters. The filter only matches warnings
    raised inside Pillow, so other code keeps its warnings.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        yield


def _request_reduced_decode(image: Image.Image, large_side: int) -> None:
    """Ask the JPEG decoder to scale down by DCT while it decodes.

    The request is made in stored (not yet rotated) coordinates and is rounded
    up, so the decoded long side stays at least ``large_side``; rotation by EXIF
    swaps width and height but never changes the long side. Other formats
    ignore the request.
    """
    width, height = image.size
    long_side = max(width, height)
    if long_side <= large_side:
        return
    wanted = (-(-width * large_side // long_side), -(-height * large_side // long_side))
    image.draft(None, wanted)


def _orientation(image: Image.Image) -> int:
    """Read the EXIF orientation, treating unreadable EXIF as upright."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _decode_reason(exc: BaseException) -> str:
    message = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in message or "premature end" in message:
        return "cannot decode image: truncated data"
    return "cannot decode image: corrupt data"


def _fit(
    image: Image.Image,
    side: int,
    resample: Image.Resampling,
    reducing_gap: float,
    *,
    halves: bool = False,
    then: Callable[[Image.Image], Image.Image] | None = None,
) -> Image.Image:
    """Shrink the image to fit a square of ``side``, keeping its proportions; never enlarge.

    With ``halves`` the left and right halves are resized at the same time,
    one by the helper thread. Pillow resizes rows first and then columns, and
    each output column depends only on the source columns around it, so the
    two halves put side by side are the pixels of a single resize (at most
    one level apart where floating-point rounding differs). ``then``, a
    per-pixel step, is applied to each half by the thread that made it, or
    to the whole image when it is not split; it may change the image it is
    given, so with ``then`` the caller gives up ``image``.
    """
    width, height = image.size
    long_side = max(width, height)
    if long_side <= side:
        return then(image) if then is not None else image
    size = (max(1, round(width * side / long_side)), max(1, round(height * side / long_side)))
    if not halves or size[0] < 2:
        resized = image.resize(size, resample, reducing_gap=reducing_gap)
        return then(resized) if then is not None else resized
    middle = size[0] // 2
    scale = width / size[0]

    def part(start: int, end: int) -> Image.Image:
        resized = image.resize((end - start, size[1]), resample, box=(start * scale, 0, end * scale, height),
                               reducing_gap=reducing_gap)
        return then(resized) if then is not None else resized

    left = _helper().submit(part, 0, middle)
    right = part(middle, size[0])
    whole = Image.new(right.mode, size)
    whole.paste(left.result(), (0, 0))
    whole.paste(right, (middle, 0))
    return whole


@lru_cache(maxsize=1)
def _opencv() -> Any | None:
    """OpenCV, for the large size's resize; None where it cannot be loaded (Pillow then resizes).

    OpenCV's cubic resize runs in SIMD and costs a quarter of Pillow's
    BICUBIC for the same sharpness (docs/benchmarks.md, "Photo step"). It
    runs on the calling thread only: the photo step gives each core its own
    work, and OpenCV's own threads would only compete with it. The plate
    detector shares the setting.
    """
    try:
        import cv2
    except ImportError:
        return None
    cv2.setNumThreads(1)
    return cv2


def _with_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The image (this call's own) in sRGB; a conversion by the profile, the one costly per-pixel step, is split over both cores."""
    def to_srgb(part: Image.Image) -> Image.Image:
        return _to_srgb(part, icc_profile, owned=True)

    converts = icc_profile is not None and _srgb_transform(icc_profile, image.mode) is not None
    return _in_halves(image, to_srgb) if converts else to_srgb(image)


def _decode_to_array(cv2: Any, data: bytes, *, max_pixels: int) -> tuple[Any, bytes | None, Image.Transpose | None] | None:
    """HEIC, PNG and WebP photos of plain 8-bit RGB decoded straight into an array (RGB or, from OpenCV, BGR), with
    their ICC profile and upright transposition; None for everything else, which Pillow decodes.

    Those formats have no reduced decode, so their whole picture is decoded;
    Pillow then copies it into its own buffer, which for a 12 MP photo costs
    as much as the rest of the step. pillow-heif's array is the decoder's own
    buffer, and OpenCV decodes PNG and WebP into one (WebP in half of
    Pillow's time). Only what OpenCV reads exactly as Pillow would takes this
    way: no alpha, no palette, no transparent colour, no animation, 8 bits.
    A file either decoder refuses goes to Pillow, which names what is wrong.
    """
    if not data or data.startswith(b"\xff\xd8"):
        # Empty, or a JPEG (MPO too), which Pillow decodes at a reduced scale.
        return None
    with pillow_warnings_silenced():
        try:
            opened = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, *_DECODE_ERRORS):
            return None
        if opened.format not in _ARRAY_FORMATS or opened.mode != "RGB" or "transparency" in opened.info \
                or getattr(opened, "n_frames", 1) != 1:
            return None
        width, height = opened.size
        if width < 1 or height < 1 or width * height > max_pixels:
            return None
        icc_profile = opened.info.get("icc_profile") or None
        try:
            if opened.format == "HEIF":
                import pillow_heif

                # libheif turns the picture upright as it decodes (the
                # container's own rotation and mirroring), as Pillow's opener does.
                pixels = np.asarray(pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True))
                found: Any = pixels
                method = None
            else:
                method = _ORIENTATION_TRANSPOSE.get(_header_orientation(opened))
                pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
                found = _Bgr(pixels)
        except _DECODE_ERRORS:
            return None
    if pixels is None or pixels.shape[:3] != (height, width, 3):
        return None
    return found, icc_profile, method


def _header_orientation(image: Image.Image) -> int:
    """The EXIF orientation read without decoding the pixels.

    Pillow looks for a PNG's EXIF by decoding the whole file (the chunk may
    follow the pixels); a PNG whose EXIF comes after them is taken as upright.
    """
    if image.format != "PNG":
        return _orientation(image)
    raw = image.info.get("exif")
    if not raw:
        return 1
    try:
        exif = Image.Exif()
        exif.load(raw)
        value = exif.get(_EXIF_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


class _Bgr:
    """An array OpenCV decoded, in its own channel order (blue, green, red)."""

    def __init__(self, pixels: Any) -> None:
        self.pixels = pixels


def _array_fit(cv2: Any, decoded: Any, side: int) -> Image.Image:
    """The decoded array shrunk to fit a square of ``side``, as an RGB image."""
    bgr = isinstance(decoded, _Bgr)
    pixels = decoded.pixels if bgr else decoded
    height, width = pixels.shape[:2]
    fit = _large_fit(width, height, side)
    if fit is not None:
        size, factor = fit
        if factor > 1:
            # Averaging whole blocks: OpenCV's area resize at a whole factor, as Pillow's reduce.
            pixels = cv2.resize(pixels, (-(-width // factor), -(-height // factor)), interpolation=cv2.INTER_AREA)
        pixels = _last_step(cv2, pixels, size)
    if bgr:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    return Image.fromarray(np.ascontiguousarray(pixels))


def _opencv_fit(cv2: Any, image: Image.Image, side: int) -> Image.Image:
    """A decoded Pillow image shrunk to fit a square of ``side`` by OpenCV, after Pillow averages whole blocks."""
    fit = _large_fit(image.width, image.height, side)
    if fit is None:
        return image
    size, factor = fit
    if factor > 1:
        image = image.reduce(factor)
    resized = _last_step(cv2, np.asarray(image), size)
    if image.mode == "CMYK":
        return Image.frombytes("CMYK", size, resized.tobytes())
    return Image.fromarray(resized)


def _large_fit(width: int, height: int, side: int) -> tuple[tuple[int, int], int] | None:
    """The size that fits a square of ``side`` and the whole factor to average blocks by first; None when it fits already.

    Averaging whole blocks filters against aliasing and is cheap; it leaves
    a last step of less than 2 (a JPEG decoded at a DCT scale starts there).
    """
    long_side = max(width, height)
    if long_side <= side:
        return None
    size = (max(1, round(width * side / long_side)), max(1, round(height * side / long_side)))
    return size, int(long_side / max(size))


def _last_step(cv2: Any, pixels: Any, size: tuple[int, int]) -> Any:
    """The last, short step to ``size``: OpenCV's cubic resize, or its area resize where the step is long enough to alias.

    The cubic kernel does not widen with the ratio as Pillow's does, so up to
    1.3 it is as sharp as Pillow's BICUBIC and no more aliased; beyond, the
    area resize (a box exactly as wide as the ratio) keeps thin lines from
    breaking into patterns.
    """
    ratio = max(pixels.shape[1] / size[0], pixels.shape[0] / size[1])
    return cv2.resize(pixels, size, interpolation=cv2.INTER_CUBIC if ratio <= _CUBIC_UP_TO else cv2.INTER_AREA)


def _in_halves(image: Image.Image, step: Callable[[Image.Image], Image.Image]) -> Image.Image:
    """Apply a per-pixel ``step`` to the left half in the helper thread and to the right half here, then join them."""
    middle = image.width // 2
    if middle < 1:
        return step(image)
    left = _helper().submit(step, image.crop((0, 0, middle, image.height)))
    right = step(image.crop((middle, 0, image.width, image.height)))
    joined = Image.new(right.mode, image.size)
    joined.paste(left.result(), (0, 0))
    joined.paste(right, (middle, 0))
    return joined


def _working_mode(image: Image.Image) -> Image.Image:
    """Bring any decoded mode to L, RGB, RGBA or CMYK with 8 bits per channel."""
    mode = image.mode
    if mode.startswith("I;16"):
        return _scale_to_8_bit(image.convert("I"), top=65535)
    if mode in ("I", "F"):
        return _scale_to_8_bit(image, top=None)
    if mode == "1":
        return image.convert("L")
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or image.has_transparency_data:
        return image.convert("RGBA")
    if mode in ("L", "RGB", "CMYK"):
        return image
    try:
        return image.convert("RGB")
    except ValueError:
        raise PhotoRejected(f"unsupported colour mode {mode}") from None


def _scale_to_8_bit(image: Image.Image, *, top: int | None) -> Image.Image:
    """Scale a deep grey image to 8 bits, keeping its tones instead of clipping them.

    ``top`` is the white point of the source; when unknown it is taken from the
    values present: 8-bit data is kept, 16-bit data is scaled from 65535, and
    anything else is stretched between its own extremes.
    """
    low, high = _extrema(image)
    if top is None:
        if low >= 0 and high <= 255:
            return image.convert("L")
        if low >= 0 and high <= 65535:
            top = 65535
        else:
            scale = 255 / (high - low) if high > low else 0.0
            return image.point(lambda value: value * scale - low * scale).convert("L")
    scale = 255 / top
    return image.point(lambda value: value * scale + 0.5).convert("L")


def _to_srgb(image: Image.Image, icc_profile: bytes | None, *, owned: bool = False) -> Image.Image:
    """Convert pixels described by an embedded ICC profile to sRGB.

    A profile that cannot be parsed or does not match the pixels is ignored,
    as browsers do, and the pixels are taken as sRGB already. An ``owned``
    RGB image, one nobody else holds, is converted in place.
    """
    transform = _srgb_transform(icc_profile, image.mode) if icc_profile else None
    if transform is not None:
        if owned and image.mode == "RGB":
            ImageCms.applyTransform(image, transform, inPlace=True)
            return image
        if image.mode == "RGBA":
            rgb = ImageCms.applyTransform(image.convert("RGB"), transform)
            assert rgb is not None
            rgb.putalpha(image.getchannel("A"))
            return rgb
        converted = ImageCms.applyTransform(image, transform)
        assert converted is not None
        return converted
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


@lru_cache(maxsize=16)
def _srgb_transform(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space != _ICC_SPACE_FOR_MODE.get(mode):
            return None
        in_mode = "RGB" if mode == "RGBA" else mode
        return ImageCms.buildTransform(source, _srgb_profile(), in_mode, "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _extrema(image: Image.Image) -> tuple[float, float]:
    """The lowest and the highest value of a single-band image."""
    low, high = image.getextrema()
    # Pillow answers one pair per band for an image of several bands.
    if isinstance(low, tuple) or isinstance(high, tuple):
        raise ValueError(f"a {image.mode} image has more than one band")
    return low, high


def _output_mode(image: Image.Image, image_format: str) -> Image.Image:
    """Give the encoder a mode it stores as is: L or RGB, or RGBA for WEBP with real transparency."""
    if image.mode == "RGB" or (image.mode == "L" and image_format == "JPEG"):
        return image
    if image.mode != "RGBA":
        return image.convert("RGB")
    if image_format == "WEBP" and _extrema(image.getchannel("A"))[0] < 255:
        return image
    # JPEG has no alpha channel, and a photo is expected to look as it does
    # on a white page.
    flattened = Image.new("RGB", image.size, _WHITE)
    flattened.paste(image, mask=image.getchannel("A"))
    return flattened


def _encode(image: Image.Image, image_format: str, content_type: str, quality: int) -> Derivative:
    # Derived images inherit the source's info dictionary (comments, XMP, EXIF,
    # ICC); clearing it is what keeps every byte of metadata out of the file.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, quality=quality)
    return Derivative(data=buffer.getvalue(), content_type=content_type, width=image.width, height=image.height)
