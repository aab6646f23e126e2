"""Measure the face and plate detectors of the photo step on labelled photos: recall, false blurs and added CPU.

Run from the repository root:

    python bench/blur.py [--repetitions 5] [--side 1024 ...]

The photos:

- street photos with people (``tests/data/street``) and with vehicles
  (``tests/data/plates``), labels in their ``labels.json``, where a labelled face at least 24 px high in the large derivative counts as
  found when the blurred boxes (with their margin) cover 80 % of it, and a
  labelled plate at least 40 px wide likewise;
- the same photos shrunk until their smallest labelled face is 24 px high and
  set on a grey canvas of their shape, 1600 px on the long side: the faces as small as the bar counts them, in a
  derivative of full size, so the detector sees them reduced as it would;
- the photos with vehicles cut in halves, each brought to the full width: the
  plates as a closer photo shows them;
- photos with nobody and no vehicle in them (``tests/photos/samples``, and the
  sky and the road of the picture with vehicles), where every blurred pixel
  is a false blur, counted as a share of the picture.

For each detection side (the long side the detector looks at) the run takes
turns between the photo step's own work (``make_derivatives`` from the
original) and each detector on the step's 1600 px picture, so all see the same
machine load, and prints the median CPU time of each, the detectors' sum and
its ratio to the step; the
original is a 12 MP phone photo (``common.phone_photo_pixels``). It exits
with status 1 when a bar is missed: face recall 0.95, plate recall 0.85, false
blur 3 % of a photo, 120 ms of added CPU per derivative.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageStat

from bench.common import load_average, machine_summary, phone_photo_pixels
from service.photos.derivatives import make_derivatives, upright_large
from service.photos.detection import DETECTION_SIDE, FaceDetector
from service.photos.plates import PlateDetector
from service.photos.regions import Box

ROOT = Path(__file__).resolve().parent.parent
STREET = ROOT / "tests" / "data" / "street"
# Labelled plate photos go here (tests/data/plates, with their labels.json) once
# photos under a stated free licence are found; until then plate recall is not measured.
PLATES = ROOT / "tests" / "data" / "plates"
EMPTY = [ROOT / "tests" / "photos" / "samples" / name
         for name in ("Landscape_1.jpg", "Landscape_6.jpg", "arrow.heic", "frozenpond.mpo")]
FACE_RECALL, PLATE_RECALL, FALSE_BLUR, ADDED_MS = 0.95, 0.85, 0.03, 120.0
MIN_FACE_PX, MIN_PLATE_PX, COVERED = 24, 40, 0.8


def blurred_mask(size: tuple[int, int], boxes: list[Box]) -> Image.Image:
    mask = Image.new("1", size, 0)
    for box in boxes:
        mask.paste(1, box.pixels(size))
    return mask


def covered(mask: Image.Image, box: Box) -> float:
    """The share of ``box`` (without margin) that the mask blurs."""
    return share(mask.crop(box.pixels(mask.size, margin=0)))


def share(mask: Image.Image) -> float:
    """The share of the mask's pixels that are set."""
    return ImageStat.Stat(mask.convert("L")).mean[0] / 255


def labelled() -> list[tuple[Image.Image, dict]]:
    """Each labelled photo as the photo step's large picture, then made harder or closer.

    Photos with faces are also shrunk to the bar on a full-size canvas; photos
    with plates are also cut in halves brought to the full width, as if taken
    from closer by.
    """
    pictures = []
    for folder in (f for f in (STREET, PLATES) if (f / "labels.json").exists()):
        for name, label in json.loads((folder / "labels.json").read_text()).items():
            picture = upright_large((folder / name).read_bytes())
            pictures.append((picture, label))
            pictures += shrunk_to_the_bar(picture, label)
            if label["plates"]:
                pictures += [closer(picture, label, half) for half in ((0.0, 0.5), (0.5, 1.0))]
    return pictures


def shrunk_to_the_bar(picture: Image.Image, label: dict) -> list[tuple[Image.Image, dict]]:
    """The picture shrunk until its smallest labelled face is 24 px high, on a grey canvas 1600 px on its long side; none without faces."""
    smallest = min((face[3] * picture.height for face in label["faces"]), default=None)
    if smallest is None or smallest <= MIN_FACE_PX:
        return []
    factor = MIN_FACE_PX / smallest
    shrunk = picture.resize((round(picture.width * factor), round(picture.height * factor)), Image.Resampling.LANCZOS)
    # The canvas is a large derivative of the picture's shape: 1600 px on its long side, portrait or landscape.
    scale = 1600 / max(picture.size)
    canvas = Image.new("RGB", (round(picture.width * scale), round(picture.height * scale)), (128, 128, 128))
    canvas.paste(shrunk, (0, 0))
    sx, sy = shrunk.width / canvas.width, shrunk.height / canvas.height
    moved = {key: [[box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy] for box in label[key]] for key in ("faces", "plates")}
    return [(canvas, moved)]


def closer(picture: Image.Image, label: dict, half: tuple[float, float]) -> tuple[Image.Image, dict]:
    """One half of the picture (left and right fractions, the height alike, about its plates) at full size.

    Boxes cut by the edge are dropped.
    """
    start, end = half
    span = end - start
    middle = statistics.mean(box[1] + box[3] / 2 for box in label["plates"])
    top = min(max(0.0, middle - span / 2), 1 - span)
    crop = picture.crop((round(start * picture.width), round(top * picture.height),
                         round(end * picture.width), round((top + span) * picture.height)))
    crop = crop.resize(picture.size, Image.Resampling.LANCZOS)
    moved = {key: [[(box[0] - start) / span, (box[1] - top) / span, box[2] / span, box[3] / span] for box in label[key]
                   if start <= box[0] and box[0] + box[2] <= end and top <= box[1] and box[1] + box[3] <= top + span]
             for key in ("faces", "plates")}
    return crop, moved


def vehicle_free() -> list[Image.Image]:
    """Photos with nobody and no vehicle: the camera samples."""
    return [upright_large(path.read_bytes()) for path in EMPTY]


def cpu_ms(work) -> float:
    started = time.process_time()
    work()
    return (time.process_time() - started) * 1000


def recall(pictures: list[tuple[Image.Image, dict]], detect, key: str, smallest: int) -> tuple[int, int]:
    """(found, counted): labelled boxes of one kind at least ``smallest`` px across that the blurred boxes cover."""
    found = total = 0
    for picture, label in pictures:
        mask = blurred_mask(picture.size, [item.box for item in detect(picture)])
        for box in (Box(*values) for values in label[key]):
            across = box.height * picture.height if key == "faces" else box.width * picture.width
            # Half a pixel of slack: a face shrunk to the bar measures 23.98 px once the picture's size is rounded.
            if across + 0.5 >= smallest:
                total += 1
                found += covered(mask, box) >= COVERED
    return found, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--side", type=int, action="append", help=f"face detection side(s); default {DETECTION_SIDE}")
    args = parser.parse_args()
    print(machine_summary())
    print(f"load average at start: {load_average():.2f} (figures are taken on a shared machine)")
    pictures, empty = labelled(), vehicle_free()
    plate_detector = PlateDetector()
    found_plates, plates = recall(pictures, plate_detector, "plates", MIN_PLATE_PX)
    failed = False
    for side in args.side or [DETECTION_SIDE]:
        face_detector = FaceDetector(side=side)

        def both(picture: Image.Image, face_detector=face_detector) -> list:
            return face_detector(picture) + plate_detector(picture)

        found_faces, faces = recall(pictures, face_detector, "faces", MIN_FACE_PX)
        false_blurs = [share(blurred_mask(picture.size, [item.box for item in both(picture)])) for picture in empty]
        step_ms, face_ms, plate_ms = [], [], []
        original = phone_photo_pixels()
        large = upright_large(original)
        for _ in range(args.repetitions):
            step_ms.append(cpu_ms(lambda original=original: make_derivatives(original)))
            face_ms.append(cpu_ms(lambda detector=face_detector, large=large: detector(large)))
            plate_ms.append(cpu_ms(lambda large=large: plate_detector(large)))
        step, face, plate = (statistics.median(times) for times in (step_ms, face_ms, plate_ms))
        added = face + plate
        face_recall = found_faces / faces if faces else float("nan")
        plate_recall = found_plates / plates if plates else float("nan")
        print(f"\nface detection side {side} px, plate detection side {plate_detector.side} px")
        print(f"  face recall (>= {MIN_FACE_PX} px high): {face_recall:.3f} ({found_faces}/{faces}), bar {FACE_RECALL}")
        print(f"  plate recall (>= {MIN_PLATE_PX} px wide): {plate_recall:.3f} ({found_plates}/{plates}), bar {PLATE_RECALL}")
        print(f"  false blur (faces and plates) on {len(empty)} photos with nobody and no vehicle: "
              f"max {max(false_blurs):.2%}, bar {FALSE_BLUR:.0%}")
        print(f"  CPU per {large.width}x{large.height} derivative: photo step {step:.0f} ms, faces {face:.0f} ms, "
              f"plates {plate:.0f} ms, detectors together {added:.0f} ms ({added / step:.2f} of the step), "
              f"bar {ADDED_MS:.0f} ms")
        failed |= not (face_recall >= FACE_RECALL and plate_recall >= PLATE_RECALL
                       and max(false_blurs) <= FALSE_BLUR and added <= ADDED_MS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
