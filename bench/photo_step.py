"""Time the photo step on phone photos of every format and size class, against a bare decode and against pyvips.

Run from the repository root:

    python bench/photo_step.py [--repetitions 7] [--file PATH ...] [--no-48]

The photos, one per format and size class:

- JPEG at 12 MP (4032x3024) and 48 MP (8064x6048), made like a phone photo
  (``common.phone_photo_pixels``, EXIF orientation 6 and GPS), and an MPO of
  the 12 MP picture with a second picture behind it;
- HEIC: the real 12 MP iPhone file of the tests (``tests/photos/samples/arrow.heic``)
  and, as no real 48 MP one is at hand, the 48 MP picture encoded by pillow-heif;
- PNG and WebP at 12 MP, made from the same picture;
- any ``--file`` given (for instance a real 200 MP Galaxy HEIC).

Generated photos are kept in a cache directory, since the 48 MP ones take a
minute to make. For each photo the run measures, taking turns so that all see
the same machine load, the median wall and CPU time (all threads of this
process) of:

- the bare decode: ``Image.open`` and ``load`` (pillow-heif's decoder for
  HEIC), every pixel at full size; for JPEG and MPO also the bare decode at the
  DCT scale the step uses, and for HEIC pillow-heif's own ``open_heif().data``;
- the photo step, ``make_derivatives`` (large 1600 and thumbnail 400);
- pyvips, when installed (it is not a dependency of the service): one
  ``thumbnail_buffer`` to 1600 held in memory, the 400 thumbnail made from it,
  both saved as JPEG quality 82 without metadata.

It prints each ratio and exits with status 1 when the step takes more than 1.1
times its bare full-size decode, or more than 0.8 times pyvips' CPU, for any
photo of 12 MP or more.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pillow_heif
from PIL import Image

from bench.common import load_average, machine_summary, phone_photo_pixels, with_exif
from service.photos.derivatives import make_derivatives

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "photos" / "samples"
DECODE_LIMIT = 1.1
PYVIPS_LIMIT = 0.8
LARGE_SIDE = 1600


@dataclass(frozen=True)
class Photo:
    label: str
    data: bytes


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=7, help="timed runs of each step")
    parser.add_argument("--file", type=Path, action="append", default=[], help="another photo to measure")
    parser.add_argument("--no-48", action="store_true", help="leave out the 48 MP photos")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "machikoe-bench-photos",
                        help="where generated photos are kept between runs")
    return parser.parse_args()


def cached(cache: Path, name: str, make: Callable[[], bytes]) -> bytes:
    path = cache / name
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        data = make()
        path.with_suffix(".part").write_bytes(data)
        path.with_suffix(".part").rename(path)
        print(f"made {name} in {time.perf_counter() - started:.0f} s")
    return path.read_bytes()


def encoded(data: bytes, image_format: str, **params: object) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        buffer = io.BytesIO()
        image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def mpo(data: bytes) -> bytes:
    """An MPO as stereo cameras write it: the photo, then a second picture of the same size."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        buffer = io.BytesIO()
        image.save(buffer, format="MPO", quality=90, exif=image.info.get("exif", b""),
                   save_all=True, append_images=[image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])
    return buffer.getvalue()


def photos(args: argparse.Namespace) -> list[Photo]:
    def jpeg(size: tuple[int, int]) -> bytes:
        return with_exif(phone_photo_pixels(size=size), orientation=6, lat=35.65, lon=139.80, unique_id="0" * 32)

    cache = args.cache
    jpeg_12 = cached(cache, "phone-12mp.jpg", lambda: jpeg((4032, 3024)))
    chosen = [
        Photo("JPEG 12 MP (generated)", jpeg_12),
        Photo("MPO 12 MP (generated)", cached(cache, "phone-12mp.mpo", lambda: mpo(jpeg_12))),
        Photo("HEIC 12 MP (iPhone 8 Plus, real)", (SAMPLES / "arrow.heic").read_bytes()),
        Photo("PNG 12 MP (generated)", cached(cache, "phone-12mp.png", lambda: encoded(jpeg_12, "PNG", compress_level=6))),
        Photo("WebP 12 MP (generated)", cached(cache, "phone-12mp.webp", lambda: encoded(jpeg_12, "WEBP", quality=85))),
    ]
    if not args.no_48:
        jpeg_48 = cached(cache, "phone-48mp.jpg", lambda: jpeg((8064, 6048)))
        chosen += [
            Photo("JPEG 48 MP (generated)", jpeg_48),
            Photo("HEIC 48 MP (generated)", cached(cache, "phone-48mp.heic", lambda: encoded(jpeg_48, "HEIF", quality=60,
                                                                                    enc_params={"preset": "ultrafast"}))),
        ]
    chosen += [Photo(f"{path.name} (given)", path.read_bytes()) for path in args.file]
    return chosen


def bare_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def bare_scaled_decode(data: bytes) -> None:
    """A JPEG decoded at the DCT scale the step asks for, and nothing else."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        long_side = max(width, height)
        image.draft(None, (-(-width * LARGE_SIDE // long_side), -(-height * LARGE_SIDE // long_side)))
        image.load()


def bare_heif_decode(data: bytes) -> None:
    pillow_heif.open_heif(io.BytesIO(data)).data  # noqa: B018 - reading .data is what decodes


def pyvips_step() -> Callable[[bytes], None] | None:
    try:
        import pyvips
    except ImportError:
        return None
    # No cache: every run decodes again, as a worker does for a new photo.
    pyvips.cache_set_max(0)

    def run(data: bytes) -> None:
        large = pyvips.Image.thumbnail_buffer(data, LARGE_SIDE, size="down").copy_memory()
        large.jpegsave_buffer(Q=82, keep="none")
        large.thumbnail_image(400).jpegsave_buffer(Q=82, keep="none")

    return run


def readable_by(step: Callable[[bytes], None], data: bytes) -> bool:
    """Whether pyvips reads the photo (the binary wheel has no HEVC decoder, for instance)."""
    import pyvips

    try:
        step(data)
    except pyvips.Error:
        return False
    return True


def measure(steps: dict[str, Callable[[bytes], object]], data: bytes, repetitions: int) -> dict[str, Timing]:
    """Median wall and CPU time of each step; the steps take turns so that all see the same load."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
    for step in steps.values():
        step(data)
    for _ in range(repetitions):
        for name, step in steps.items():
            wall, cpu = time.perf_counter(), time.process_time()
            step(data)
            samples[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: Timing(statistics.median(s[0] for s in values), statistics.median(s[1] for s in values))
            for name, values in samples.items()}


def main() -> int:
    args = parse_arguments()
    vips = pyvips_step()
    print(f"machine: {machine_summary()}")
    print(f"load average before: {load_average():.2f}; {args.repetitions} timed runs of each step, medians")
    if vips is None:
        print("pyvips is not installed: only the bare decode is compared (pip install pyvips pyvips-binary)")
    failures = []
    for photo in photos(args):
        with Image.open(io.BytesIO(photo.data)) as image:
            image_format, (width, height) = image.format, image.size
        steps: dict[str, Callable[[bytes], object]] = {"bare decode": bare_decode}
        if image_format in ("JPEG", "MPO"):
            steps["bare decode at DCT scale"] = bare_scaled_decode
        if image_format == "HEIF":
            steps["bare open_heif().data"] = bare_heif_decode
        steps["photo step"] = make_derivatives
        if vips is not None and readable_by(vips, photo.data):
            steps["pyvips"] = vips
        elif vips is not None:
            print(f"\n(pyvips cannot read {photo.label})")
        timings = measure(steps, photo.data, args.repetitions)
        print(f"\n{photo.label}: {image_format} {width}x{height}, {len(photo.data) / 1e6:.2f} MB")
        for name, timing in timings.items():
            print(f"  {name:26s} wall {timing.wall * 1000:7.1f} ms   CPU {timing.cpu * 1000:7.1f} ms")
        step, bare = timings["photo step"], timings["bare decode"]
        decode_ratio = step.wall / bare.wall
        line = f"  step / bare decode: wall {decode_ratio:.2f}, CPU {step.cpu / bare.cpu:.2f}"
        if "bare decode at DCT scale" in timings:
            scaled = timings["bare decode at DCT scale"]
            line += f"; step / bare decode at DCT scale: wall {step.wall / scaled.wall:.2f}, CPU {step.cpu / scaled.cpu:.2f}"
        if "bare open_heif().data" in timings:
            heif = timings["bare open_heif().data"]
            line += f"; step / open_heif: wall {step.wall / heif.wall:.2f}, CPU {step.cpu / heif.cpu:.2f}"
        print(line)
        pyvips_ratio = None
        if "pyvips" in timings:
            pyvips_ratio = step.cpu / timings["pyvips"].cpu
            print(f"  step / pyvips: CPU {pyvips_ratio:.2f}, wall {step.wall / timings['pyvips'].wall:.2f}")
        if width * height >= 12_000_000:
            if decode_ratio > DECODE_LIMIT:
                failures.append(f"{photo.label}: step / bare decode {decode_ratio:.2f} > {DECODE_LIMIT}")
            if pyvips_ratio is not None and pyvips_ratio > PYVIPS_LIMIT:
                failures.append(f"{photo.label}: step / pyvips CPU {pyvips_ratio:.2f} > {PYVIPS_LIMIT}")
    print(f"\nload average after: {load_average():.2f} on {os.cpu_count()} CPUs")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
