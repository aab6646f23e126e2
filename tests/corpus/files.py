"""Hostile and broken uploads, made by code so the corpus needs no binary files in the repository."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

import service.photos  # noqa: F401  (registers HEIF)


def jpeg(size: tuple[int, int] = (800, 600), **save: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buf, "JPEG", quality=85, **save)
    return buf.getvalue()


def png(size: tuple[int, int] = (200, 100)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg((1600, 1200))
    return data[: len(data) // 3]


def decompression_bomb_png() -> bytes:
    """A tiny file that claims 20000×20000 pixels (one zlib stream of zeros)."""
    width = height = 20000
    raw = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # a few rows; the header still claims the whole size

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def huge_exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "x" * 60000  # ImageDescription filling most of one APP1 segment
    exif[0x9286] = b"ASCII\x00\x00\x00" + b"y" * 2000  # UserComment
    return jpeg(exif=exif)


def png_with_wrong_crc() -> bytes:
    data = bytearray(png())
    # The IHDR chunk's CRC sits at bytes 29–32.
    data[29] ^= 0xFF
    return bytes(data)


def polyglot_jpeg_zip_html() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.html", "<html><script>alert(document.cookie)</script></html>")
    return jpeg() + b"<html><script>alert(1)</script></html>" + buf.getvalue()


def svg_named_jpg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'


def html_named_jpg() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def heic_without_image() -> bytes:
    # An ISO-BMFF ftyp box that says HEIC, and nothing else.
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", len(ftyp) + 4) + ftyp


def one_by_hundred_thousand() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1, 100000), 128).save(buf, "PNG")
    return buf.getvalue()


def animated_webp() -> bytes:
    buf = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return buf.getvalue()


def animated_gif() -> bytes:
    buf = io.BytesIO()
    frames = [Image.new("P", (64, 64), i) for i in range(3)]
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return buf.getvalue()
