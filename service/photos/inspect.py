"""Intake checks of an uploaded photo, by decoding it, never by its name or claimed type."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image

import service.photos  # noqa: F401  (registers the HEIF opener)

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}


class PhotoInvalid(ValueError):
    """The bytes are not an acceptable photo; ``reason`` says why in plain English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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

    The image is decoded (JPEG at 1/8 scale through draft mode, which is cheap)
    so truncated and corrupt files are caught here rather than in a worker.
    Raises :class:`PhotoInvalid` for an empty file, another format, a
    decompression bomb, or data that does not decode.
    """
    if not data:
        raise PhotoInvalid("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                if fmt not in ACCEPTED_FORMATS:
                    raise PhotoInvalid("not a JPEG, PNG, WebP or HEIC image")
                width, height = img.size
                if width < 1 or height < 1:
                    raise PhotoInvalid("the image has no pixels")
                if width * height > max_pixels:
                    raise PhotoInvalid(f"the image has more than {max_pixels} pixels")
                if fmt == "JPEG":
                    img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                img.load()
    except PhotoInvalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoInvalid(f"the image has more than {max_pixels} pixels") from None
    except Image.UnidentifiedImageError:
        raise PhotoInvalid("not a JPEG, PNG, WebP or HEIC image") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise PhotoInvalid(f"the image does not decode ({_short(exc)})") from None
    return PhotoInfo(
        format=fmt,
        content_type=ACCEPTED_FORMATS[fmt],
        extension=EXTENSIONS[fmt],
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
    )


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:120]
