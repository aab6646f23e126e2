"""Public derivatives: upright, right-sized, sRGB, without metadata, or rejected."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageChops, ImageStat

from service.photos import derivatives
from service.photos.derivatives import Derivative, PhotoRejected, make_derivatives
from tests.photos.factories import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    animation,
    blank_png_of_size,
    camera_exif,
    detailed_picture,
    encode,
    jpeg_segments,
    marked_picture,
    riff_chunks,
    sixteen_bit_grey_gradient_png,
    srgb_profile,
    stored_with_orientation,
    swapped_primaries_profile,
)

TOKYO_STATION = (35.6812, 139.7671)


def opened(derivative: Derivative) -> Image.Image:
    image = Image.open(io.BytesIO(derivative.data))
    image.load()
    return image


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def colour_at(image: Image.Image, x_fraction: float, y_fraction: float) -> tuple[int, ...]:
    pixel = image.convert("RGB").getpixel((int(image.width * x_fraction), int(image.height * y_fraction)))
    assert isinstance(pixel, tuple)
    return pixel


def assert_marker_top_left_only(image: Image.Image) -> None:
    assert near(colour_at(image, 0.1, 0.1), RED, 40)
    for corner in ((0.9, 0.1), (0.1, 0.9), (0.9, 0.9)):
        assert near(colour_at(image, *corner), WHITE, 40)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation: int) -> None:
    data = stored_with_orientation(marked_picture((120, 80)), orientation)

    derivatives = make_derivatives(data)

    for derivative in (derivatives.large, derivatives.thumb):
        image = opened(derivative)
        assert image.size == (120, 80)
        assert_marker_top_left_only(image)


@pytest.mark.parametrize(
    ("orientation", "upright_size", "large", "thumb"),
    [
        (1, (3000, 2000), (1600, 1067), (400, 267)),
        (3, (3000, 2000), (1600, 1067), (400, 267)),
        (6, (2000, 3000), (1067, 1600), (267, 400)),
        (8, (2000, 3000), (1067, 1600), (267, 400)),
    ],
)
def test_big_rotated_photo_is_upright_and_fits_the_sides(
    orientation: int, upright_size: tuple[int, int], large: tuple[int, int], thumb: tuple[int, int], resizer) -> None:
    # With orientations 6 and 8 the camera stores the portrait photo as landscape.
    data = stored_with_orientation(marked_picture(upright_size), orientation)

    derivatives = make_derivatives(data)

    assert (derivatives.large.width, derivatives.large.height) == large
    assert (derivatives.thumb.width, derivatives.thumb.height) == thumb
    for derivative in (derivatives.large, derivatives.thumb):
        image = opened(derivative)
        assert image.size == (derivative.width, derivative.height)
        assert_marker_top_left_only(image)


@pytest.fixture(params=["opencv", "pillow"])
def resizer(request, monkeypatch) -> str:
    """Each way the large size is resized: OpenCV's, and Pillow's where OpenCV cannot be loaded."""
    if request.param == "pillow":
        monkeypatch.setattr(derivatives, "_opencv", lambda: None)
    else:
        assert derivatives._opencv() is not None
    return request.param


def test_large_derivative_is_as_sharp_as_a_full_size_resize(resizer) -> None:
    picture = detailed_picture((3300, 2400))
    data = encode(picture, "JPEG", quality=92)
    full_size = Image.open(io.BytesIO(data))
    reference = full_size.resize((1600, 1164), Image.Resampling.LANCZOS)

    large = opened(make_derivatives(data, quality=95).large)

    # On thin lines JPEG itself differs from the reference by about 12 (RMS,
    # out of 255), a photo shrunk from half the needed resolution by over 20.
    assert large.size == reference.size
    difference = ImageStat.Stat(ImageChops.difference(large, reference))
    assert max(difference.rms) < 16


@pytest.mark.parametrize(
    ("size", "large", "thumb"),
    [
        ((4032, 3024), (1600, 1200), (400, 300)),
        ((3024, 4032), (1200, 1600), (300, 400)),
        ((4000, 1000), (1600, 400), (400, 100)),
        ((1700, 1275), (1600, 1200), (400, 300)),
        ((800, 600), (800, 600), (400, 300)),
        ((300, 200), (300, 200), (300, 200)),
    ],
)
def test_long_sides_are_1600_and_400_and_small_photos_are_not_enlarged(
    size: tuple[int, int], large: tuple[int, int], thumb: tuple[int, int]
) -> None:
    data = encode(marked_picture(size), "JPEG", quality=90)

    derivatives = make_derivatives(data)

    assert opened(derivatives.large).size == large
    assert opened(derivatives.thumb).size == thumb
    assert (derivatives.large.width, derivatives.large.height) == large
    assert (derivatives.thumb.width, derivatives.thumb.height) == thumb


def test_sides_can_be_chosen() -> None:
    data = encode(marked_picture((1200, 900)), "JPEG")

    derivatives = make_derivatives(data, large_side=1000, thumb_side=100)

    assert opened(derivatives.large).size == (1000, 750)
    assert opened(derivatives.thumb).size == (100, 75)


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
@pytest.mark.parametrize("size", [(2000, 1500), (300, 200)], ids=["resized", "kept-size"])
@pytest.mark.parametrize("icc_profile", [srgb_profile(), None], ids=["srgb-profile", "no-profile"])
def test_derivatives_carry_no_metadata_at_all(image_format: str, size: tuple[int, int], icc_profile: bytes | None) -> None:
    exif = camera_exif(lat=TOKYO_STATION[0], lon=TOKYO_STATION[1], taken="2024:05:01 10:20:30")
    data = encode(
        marked_picture(size),
        "JPEG",
        exif=exif,
        icc_profile=icc_profile,
        comment=b"COMMENT-SECRET",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">XMP-SECRET</x:xmpmeta>',
    )
    assert b"SECRET" in data
    # The latitude as EXIF stores it: 35/1 degrees, 40/1 minutes, 1308/25 seconds.
    gps_latitude = struct.pack(">6I", 35, 1, 40, 1, 1308, 25)
    assert gps_latitude in data

    derivatives = make_derivatives(data, image_format=image_format)

    for derivative in (derivatives.large, derivatives.thumb):
        image = opened(derivative)
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info)
        for secret in (b"SECRET", b"Exif", b"GPS", b"xmpmeta", b"ICC_PROFILE", gps_latitude):
            assert secret not in derivative.data
        if image_format == "JPEG":
            # Only the JFIF header, tables and image data: no APP1-APP15, no COM.
            assert set(jpeg_segments(derivative.data)) <= {0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}
        else:
            assert set(riff_chunks(derivative.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


def test_embedded_colour_profile_is_converted_to_srgb_and_dropped(resizer) -> None:
    data = encode(Image.new("RGB", (64, 48), RED), "JPEG", quality=95, icc_profile=swapped_primaries_profile())

    large = opened(make_derivatives(data).large)

    assert near(colour_at(large, 0.5, 0.5), GREEN, 30)
    assert "icc_profile" not in large.info


def test_srgb_profile_keeps_colours() -> None:
    data = encode(Image.new("RGB", (64, 48), RED), "JPEG", quality=95, icc_profile=srgb_profile())

    large = opened(make_derivatives(data).large)

    assert near(colour_at(large, 0.5, 0.5), RED, 20)


def test_cmyk_jpeg_comes_out_as_rgb_with_the_right_colours(resizer) -> None:
    picture = Image.new("CMYK", (64, 48), (0, 255, 255, 0))
    picture.paste((255, 255, 0, 0), (32, 0, 64, 48))
    data = encode(picture, "JPEG", quality=95)
    # Pillow writes CMYK as Adobe does, with the inverted values an APP14
    # segment announces, like files from Photoshop.
    assert 0xEE in jpeg_segments(data)

    large = opened(make_derivatives(data).large)

    assert large.mode == "RGB"
    assert near(colour_at(large, 0.25, 0.5), RED, 20)
    assert near(colour_at(large, 0.75, 0.5), BLUE, 20)


def test_sixteen_bit_png_keeps_its_gradient(resizer) -> None:
    data = sixteen_bit_grey_gradient_png()

    large = opened(make_derivatives(data).large)

    assert large.mode in ("L", "RGB")
    row = [colour_at(large, x / 256, 0.5)[0] for x in range(0, 256, 16)]
    assert row == sorted(row)
    assert row[0] <= 4
    assert abs(colour_at(large, 128 / 256, 0.5)[0] - 128) <= 4
    assert colour_at(large, 255 / 256, 0.5)[0] >= 251


def test_palette_image_keeps_its_colours() -> None:
    picture = Image.new("RGB", (80, 40), RED)
    picture.paste(BLUE, (40, 0, 80, 40))
    data = encode(picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=4), "PNG")

    large = opened(make_derivatives(data).large)

    assert large.mode == "RGB"
    assert near(colour_at(large, 0.25, 0.5), RED)
    assert near(colour_at(large, 0.75, 0.5), BLUE)


def half_transparent(mode: str) -> bytes:
    """Left half fully transparent, right half opaque red (or grey for LA)."""
    picture = Image.new("RGBA", (80, 40), (0, 0, 0, 0))
    picture.paste((255, 0, 0, 255), (40, 0, 80, 40))
    if mode == "LA":
        return encode(picture.convert("LA"), "PNG")
    if mode == "P":
        paletted = Image.new("P", (80, 40), 0)
        paletted.putpalette([0, 0, 0, *RED])
        paletted.paste(1, (40, 0, 80, 40))
        return encode(paletted, "PNG", transparency=0)
    return encode(picture, "PNG")


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_flattened_on_white_for_jpeg(mode: str) -> None:
    data = half_transparent(mode)
    assert Image.open(io.BytesIO(data)).has_transparency_data

    large = opened(make_derivatives(data).large)

    assert large.mode in ("RGB", "L")
    assert near(colour_at(large, 0.2, 0.5), WHITE, 6)
    opaque = colour_at(large, 0.8, 0.5)
    assert near(opaque, RED if mode != "LA" else (76, 76, 76), 20)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_kept_for_webp(mode: str) -> None:
    data = half_transparent(mode)

    large = opened(make_derivatives(data, image_format="WEBP").large)

    assert large.mode == "RGBA"
    assert large.getchannel("A").crop((0, 0, 30, 40)).getextrema() == (0, 0)
    assert large.getchannel("A").crop((50, 0, 80, 40)).getextrema() == (255, 255)


@pytest.mark.parametrize("image_format", ["GIF", "WEBP"])
def test_animation_gives_its_first_frame(image_format: str) -> None:
    data = animation(image_format, [RED, BLUE, GREEN])
    assert Image.open(io.BytesIO(data)).n_frames == 3

    derivatives = make_derivatives(data)

    for derivative in (derivatives.large, derivatives.thumb):
        image = opened(derivative)
        assert image.size == (64, 48)
        assert near(colour_at(image, 0.5, 0.5), RED, 20)


def test_heic_photo_is_decoded(resizer) -> None:
    picture = marked_picture((1920, 1440))
    data = encode(picture, "HEIF", quality=90, exif=camera_exif(lat=35.0, lon=135.0))
    assert Image.open(io.BytesIO(data)).format == "HEIF"

    derivatives = make_derivatives(data)

    large = opened(derivatives.large)
    assert large.format == "JPEG"
    assert large.size == (1600, 1200)
    assert opened(derivatives.thumb).size == (400, 300)
    assert_marker_top_left_only(large)
    assert len(large.getexif()) == 0
    assert b"SECRET" not in derivatives.large.data


def test_webp_output_is_a_webp_file() -> None:
    data = encode(marked_picture((2000, 1000)), "JPEG")

    derivatives = make_derivatives(data, image_format="WEBP", quality=70)

    for derivative, size in ((derivatives.large, (1600, 800)), (derivatives.thumb, (400, 200))):
        assert derivative.content_type == "image/webp"
        image = opened(derivative)
        assert image.format == "WEBP"
        assert image.mode == "RGB"
        assert image.size == size
        assert_marker_top_left_only(image)


def test_jpeg_output_is_a_jpeg_file() -> None:
    derivatives = make_derivatives(encode(marked_picture((500, 400)), "PNG"))

    assert derivatives.large.content_type == "image/jpeg"
    assert derivatives.thumb.content_type == "image/jpeg"
    assert opened(derivatives.large).format == "JPEG"


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
def test_same_photo_gives_same_bytes(image_format: str) -> None:
    data = stored_with_orientation(marked_picture((2400, 1800)), 6, icc_profile=srgb_profile())

    first = make_derivatives(data, image_format=image_format)
    second = make_derivatives(data, image_format=image_format)

    assert first == second


@pytest.mark.parametrize(
    "exif",
    [
        b"Exif\x00\x00" + bytes(range(256)) * 4,
        b"Exif\x00\x00II*\x00\xff\xff\xff\x7f",
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x09\xff\xff\xff\x00",
    ],
    ids=["noise", "offset-past-end", "orientation-data-past-end"],
)
def test_photo_with_corrupt_exif_is_accepted_as_stored(exif: bytes) -> None:
    data = encode(marked_picture((120, 80)), "JPEG", exif=exif)

    large = opened(make_derivatives(data).large)

    assert large.size == (120, 80)
    assert_marker_top_left_only(large)
    assert len(large.getexif()) == 0


def test_truncated_jpeg_is_rejected() -> None:
    data = encode(marked_picture((800, 600)), "JPEG")

    with pytest.raises(PhotoRejected) as rejected:
        make_derivatives(data[: len(data) // 2])

    assert rejected.value.reason == "cannot decode image: truncated data"


def test_empty_file_is_rejected() -> None:
    with pytest.raises(PhotoRejected) as rejected:
        make_derivatives(b"")

    assert rejected.value.reason == "empty file"


@pytest.mark.parametrize(
    "data",
    [b"\x00" * 1024, b"GIF89a this is not really a picture", b"<html>not an image</html>"],
)
def test_data_that_is_not_an_image_is_rejected(data: bytes) -> None:
    with pytest.raises(PhotoRejected) as rejected:
        make_derivatives(data)

    assert rejected.value.reason == "not a recognised image format"


def test_corrupt_png_is_rejected() -> None:
    data = bytearray(encode(marked_picture((200, 100)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 20 : idat + 60] = bytes(40)

    with pytest.raises(PhotoRejected) as rejected:
        make_derivatives(bytes(data))

    assert rejected.value.reason.startswith("cannot decode image")


def test_photo_over_the_pixel_limit_is_rejected_before_decoding() -> None:
    data = blank_png_of_size(16400, 12900)

    with pytest.raises(PhotoRejected) as rejected:
        make_derivatives(data)

    assert rejected.value.reason == "image has too many pixels: 16400x12900 is more than 210000000"


def test_decompression_bomb_is_rejected() -> None:
    data = blank_png_of_size(20000, 20000)
    assert len(data) < 100_000

    with pytest.raises(PhotoRejected) as rejected:
        make_derivatives(data)

    assert rejected.value.reason.startswith("image has too many pixels")


def test_pixel_limit_can_be_chosen() -> None:
    data = encode(marked_picture((400, 300)), "PNG")

    with pytest.raises(PhotoRejected):
        make_derivatives(data, max_pixels=100_000)
    assert make_derivatives(data, max_pixels=120_000).large.width == 400


def test_photo_rejected_is_a_value_error_with_its_reason_as_message() -> None:
    with pytest.raises(ValueError, match="empty file"):
        make_derivatives(b"")


@pytest.mark.parametrize(
    "arguments",
    [{"image_format": "GIF"}, {"thumb_side": 0}, {"large_side": 100, "thumb_side": 200}, {"quality": 0}],
)
def test_impossible_arguments_are_refused(arguments: dict[str, object]) -> None:
    data = encode(marked_picture((40, 30)), "PNG")

    with pytest.raises(ValueError) as refused:
        make_derivatives(data, **arguments)  # type: ignore[arg-type]

    assert not isinstance(refused.value, PhotoRejected)


@pytest.mark.parametrize(("image_format", "params"), [("PNG", {}), ("WEBP", {"quality": 95}), ("HEIF", {"quality": 95})])
def test_photos_decoded_straight_into_an_array_look_as_those_pillow_decodes(monkeypatch, image_format, params) -> None:
    # HEIC, PNG and WebP of plain RGB are decoded by pillow-heif and OpenCV into arrays; the picture is Pillow's.
    # Above the large side by as much as a 12 MP photo decoded at half its size is.
    picture = detailed_picture((2200, 1600))
    data = encode(picture, image_format, **params)
    fast = opened(make_derivatives(data).large).convert("RGB")
    monkeypatch.setattr(derivatives, "_opencv", lambda: None)
    pillow = opened(make_derivatives(data).large).convert("RGB")

    assert fast.size == pillow.size == (1600, 1164)
    # As close to a full-size LANCZOS resize of the picture as Pillow's own resize is.
    reference = picture.resize(fast.size, Image.Resampling.LANCZOS)
    def rms(image: Image.Image) -> float:
        return max(ImageStat.Stat(ImageChops.difference(image, reference)).rms)

    assert rms(fast) < rms(pillow) + 2, (rms(fast), rms(pillow))
    # Each side of the picture is where it belongs: the colours of its corners hold.
    for corner in ((10, 10), (1590, 10), (10, 1150), (1590, 1150)):
        assert all(abs(a - b) < 24 for a, b in zip(fast.getpixel(corner), pillow.getpixel(corner))), corner


def test_a_png_with_a_transparent_colour_is_left_to_pillow() -> None:
    picture = marked_picture((2400, 1800))
    data = encode(picture, "PNG", transparency=(255, 255, 255))

    assert derivatives._decode_to_array(derivatives._opencv(), data, max_pixels=10**9) is None
    assert opened(make_derivatives(data).large).size == (1600, 1200)
