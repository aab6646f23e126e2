"""Measure the face detector of the photo step on labelled photos: recall, false blurs and added CPU.

Run from the repository root:

    python bench/blur.py [--repetitions 5] [--side 1024 ...]

The photos:

- street photos with people (``tests/data/street``, labels in ``labels.json``),
  where a labelled face at least 24 px high in the large derivative counts as
  found when the blurred boxes (with their margin) cover 80 % of it, and a
  labelled plate at least 40 px wide likewise;
- the same photos shrunk until their smallest labelled face is 24 px high and
  set on a 1600 px grey canvas: the faces as small as the bar counts them, in a
  derivative of full size, so the detector sees them reduced as it would;
- photos with nobody and no vehicle in them (``tests/photos/samples``), where
  every blurred pixel is a false blur, counted as a share of the picture.

For each detection side (the long side the detector looks at) the run takes
turns between the photo step's own work (``make_derivatives`` from the
original) and the detector on the step's 1600 px picture, so both see the same
machine load, and prints the median CPU time of each and their ratio; the
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine_summary, phone_photo_pixels
from PIL import Image, ImageStat

from service.photos.derivatives import make_derivatives, upright_large
from service.photos.detection import DETECTION_SIDE, FaceDetector
from service.photos.regions import Box

ROOT = Path(__file__).resolve().parent.parent
STREET = ROOT / "tests" / "data" / "street"
EMPTY = [ROOT / "tests" / "photos" / "samples" / name for name in ("Landscape_1.jpg", "arrow.heic", "frozenpond.mpo")]
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


def labelled(labels: dict) -> list[tuple[Image.Image, dict]]:
    """Each labelled photo as the photo step's large picture, then shrunk to the bar on a full-size canvas."""
    pictures = []
    for name, label in labels.items():
        picture = upright_large((STREET / name).read_bytes())
        pictures.append((picture, label))
        smallest = min((face[3] * picture.height for face in label["faces"]), default=None)
        if smallest is None or smallest <= MIN_FACE_PX:
            continue
        factor = MIN_FACE_PX / smallest
        shrunk = picture.resize((round(picture.width * factor), round(picture.height * factor)), Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", (1600, round(1600 * picture.height / picture.width)), (128, 128, 128))
        canvas.paste(shrunk, (0, 0))
        sx, sy = shrunk.width / canvas.width, shrunk.height / canvas.height
        moved = {key: [[box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy] for box in label[key]] for key in ("faces", "plates")}
        pictures.append((canvas, moved))
    return pictures


def cpu_ms(work) -> float:
    started = time.process_time()
    work()
    return (time.process_time() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--side", type=int, action="append", help=f"detection side(s); default {DETECTION_SIDE}")
    args = parser.parse_args()
    labels = json.loads((STREET / "labels.json").read_text())
    print(machine_summary())
    print(f"load average at start: {load_average():.2f} (figures are taken on a shared machine)")
    failed = False
    for side in args.side or [DETECTION_SIDE]:
        detector = FaceDetector(side=side)
        faces = found_faces = plates = found_plates = 0
        for picture, label in labelled(labels):
            mask = blurred_mask(picture.size, [found.box for found in detector(picture)])
            for face in (Box(*values) for values in label["faces"]):
                if face.height * picture.height >= MIN_FACE_PX:
                    faces += 1
                    found_faces += covered(mask, face) >= COVERED
            for plate in (Box(*values) for values in label["plates"]):
                if plate.width * picture.width >= MIN_PLATE_PX:
                    plates += 1
                    found_plates += covered(mask, plate) >= COVERED
        false_blurs = []
        for path in EMPTY:
            picture = upright_large(path.read_bytes())
            mask = blurred_mask(picture.size, [found.box for found in detector(picture)])
            false_blurs.append(share(mask))
        step_ms, detect_ms = [], []
        original = phone_photo_pixels()
        large = upright_large(original)
        for _ in range(args.repetitions):
            step_ms.append(cpu_ms(lambda original=original: make_derivatives(original)))
            detect_ms.append(cpu_ms(lambda detector=detector, large=large: detector(large)))
        step, added = statistics.median(step_ms), statistics.median(detect_ms)
        face_recall = found_faces / faces if faces else float("nan")
        plate_recall = found_plates / plates if plates else float("nan")
        print(f"\ndetection side {side} px")
        print(f"  face recall (>= {MIN_FACE_PX} px high): {face_recall:.3f} ({found_faces}/{faces}), bar {FACE_RECALL}")
        print(f"  plate recall (>= {MIN_PLATE_PX} px wide): {plate_recall:.3f} ({found_plates}/{plates}), bar {PLATE_RECALL}"
              " (no plate detector yet)")
        print(f"  false blur on {len(EMPTY)} photos with nobody: max {max(false_blurs):.2%}, bar {FALSE_BLUR:.0%}")
        print(f"  CPU per {large.width}x{large.height} derivative: photo step {step:.0f} ms, detector {added:.0f} ms "
              f"({added / step:.2f} of the step), bar {ADDED_MS:.0f} ms")
        failed |= not (face_recall >= FACE_RECALL and plate_recall >= PLATE_RECALL
                       and max(false_blurs) <= FALSE_BLUR and added <= ADDED_MS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
