"""Intake's photo check: whole JPEGs pass by their marker structure, broken ones are refused as before."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from service.photos.inspect import PhotoRejected, inspect_photo, jpeg_structure_is_whole

MAX_PIXELS = 50_000_000


def photo_jpeg(size: tuple[int, int] = (640, 480), **save: object) -> bytes:
    image = Image.effect_mandelbrot(size, (-2.0, -1.5, 1.0, 1.5), 100).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def decoder_accepts(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, SyntaxError, ValueError):
        return False
    return True


KINDS = {
    "baseline": {},
    "progressive": {"progressive": True},
    "4:4:4": {"subsampling": 0},
    "restart markers": {"restart_marker_blocks": 4},
    "progressive with restart markers": {"progressive": True, "restart_marker_rows": 1},
}


@pytest.mark.parametrize("save", KINDS.values(), ids=KINDS.keys())
def test_whole_camera_jpegs_pass_by_their_structure(save: dict[str, object]) -> None:
    data = photo_jpeg(**save)
    assert jpeg_structure_is_whole(data, (640, 480))
    info = inspect_photo(data, max_pixels=MAX_PIXELS)
    assert (info.format, info.width, info.height) == ("JPEG", 640, 480)


def test_grayscale_and_cmyk_jpegs_pass_by_their_structure() -> None:
    for mode in ("L", "CMYK"):
        buf = io.BytesIO()
        Image.new(mode, (64, 48)).save(buf, "JPEG")
        assert jpeg_structure_is_whole(buf.getvalue(), (64, 48))


@pytest.mark.parametrize("save", KINDS.values(), ids=KINDS.keys())
def test_a_jpeg_cut_anywhere_is_refused_as_not_decoding(save: dict[str, object]) -> None:
    data = photo_jpeg(**save)
    for cut in range(300, len(data) - 1, len(data) // 23):
        with pytest.raises(PhotoRejected, match="does not decode"):
            inspect_photo(data[:cut], max_pixels=MAX_PIXELS)


def test_a_jpeg_without_its_end_of_image_marker_is_refused() -> None:
    with pytest.raises(PhotoRejected, match="truncated"):
        inspect_photo(photo_jpeg()[:-2], max_pixels=MAX_PIXELS)


def test_bytes_after_the_end_of_image_are_ignored() -> None:
    data = photo_jpeg() + b"<html><script>alert(1)</script></html>" + b"PK\x05\x06" + bytes(18)
    assert jpeg_structure_is_whole(data, (640, 480))
    assert inspect_photo(data, max_pixels=MAX_PIXELS).byte_size == len(data)


def test_a_size_other_than_the_frame_s_is_not_proved() -> None:
    assert not jpeg_structure_is_whole(photo_jpeg(), (480, 640))


def test_an_unusual_jpeg_is_left_to_the_decoder_which_accepts_it() -> None:
    data = photo_jpeg()
    # Stray bytes before the first table: decoders skip them with a warning.
    dqt = data.index(b"\xff\xdb")
    odd = data[:dqt] + b"\x00\x00" + data[dqt:]
    assert not jpeg_structure_is_whole(odd, (640, 480))
    assert decoder_accepts(odd)
    assert inspect_photo(odd, max_pixels=MAX_PIXELS).width == 640


def test_a_huffman_table_the_decoder_refuses_is_refused() -> None:
    data = bytearray(photo_jpeg())
    dht = data.index(b"\xff\xc4")
    # The first table's count of 1-bit codes becomes 2, more than one bit can hold.
    data[dht + 5] = 2
    broken = bytes(data)
    assert not jpeg_structure_is_whole(broken, (640, 480))
    assert not decoder_accepts(broken)
    with pytest.raises(PhotoRejected, match="does not decode"):
        inspect_photo(broken, max_pixels=MAX_PIXELS)


def test_a_scan_before_any_frame_is_not_proved() -> None:
    data = photo_jpeg()
    sof, sos = data.index(b"\xff\xc0"), data.index(b"\xff\xda")
    length = int.from_bytes(data[sof + 2 : sof + 4], "big")
    moved = data[:sof] + data[sof + 2 + length : sos] + data[sos:]
    assert not jpeg_structure_is_whole(moved, (640, 480))


def test_a_structure_pass_agrees_with_a_full_decode_on_damaged_files() -> None:
    data = photo_jpeg(progressive=True)
    for at in range(2, len(data), 61):
        for value in (0x00, 0xFF, 0xD9, 0xC4):
            damaged = data[:at] + bytes((value,)) + data[at + 1 :]
            try:
                with Image.open(io.BytesIO(damaged)) as image:
                    size = image.size
            except (OSError, SyntaxError, ValueError):
                continue
            if jpeg_structure_is_whole(damaged, size):
                assert decoder_accepts(damaged), (at, value)
