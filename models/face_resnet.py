"""dlib's ResNet face embedder, run by torch: the same weights and the same 128-d descriptors as
``dlib.face_recognition_model_v1`` (cosine 1.0 on real photographs, ``tests/test_faces.py``), at 9 ms a face
on one core where dlib's own build (no BLAS) takes 55 ms; 5 ms a face when a look's faces go as one batch.

The weights are read from dlib's serialised network (``dlib_face_recognition_resnet_model_v1.dat``): each
layer as its name, then a tensor (a version, four dimensions, little-endian float32s), layers in forward
order. The architecture is dlib's ``dnn_face_recognition_ex.cpp``: a 7x7 convolution, max pooling, then
residual blocks of two 3x3 convolutions (32 x3, 64 x4, 128 x3, 256 x3, 256 x1 channels; the first of each
width halves the size), mean pooling and a 128-output layer without bias. dlib adds a block's output to its
(pooled) input at the larger of the two sizes, zeros where one is missing: kept here, it is what makes the
outputs equal.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

CHIP_SIDE = 150  # the aligned face the network reads, in pixels
CHIP_PADDING = 0.25  # dlib's default margin around the five landmarks
# dlib's input layer: each colour minus its mean over the training faces, over 256
_MEAN_RGB = (122.782, 117.001, 104.298)
# residual blocks per width; the first of each (but the first width) halves the size
_LEVELS = ((32, 3), (64, 4), (128, 3), (256, 3), (256, 1))


class UnreadableNetwork(ValueError):
    """The file is not the dlib face network this reader knows."""


def read_dlib_network(path: Path) -> tuple[list, np.ndarray]:
    """The convolutions (filters (n, k, h, w), biases (n,), stride, padding, then the affine scale and shift
    that follow each, (n,) and (n,)) in forward order, and the last layer's (256, 128) weights."""
    try:
        return _read(Path(path).read_bytes())
    except (ValueError, IndexError) as exc:  # UnreadableNetwork, or a file cut short
        raise UnreadableNetwork(f"{path}: {exc}") from exc


def _read(data: bytes) -> tuple[list, np.ndarray]:
    convs, affines, last = [], [], None
    for found in re.finditer(rb"(con_|affine_|fc_)\d*", data):
        at = found.start() - 2  # the name's length, as dlib writes an int: a byte count, then the bytes
        if at < 0 or data[at] != 1 or data[at + 1] != len(found.group()):
            continue
        pos = found.end()
        if found.group(1) == b"fc_":
            (outputs, inputs), pos = _ints(data, pos, 2)
            last = _tensor(data, pos)[0].reshape(inputs, outputs)
            continue
        params, pos = _tensor(data, pos)
        if found.group(1) == b"affine_":
            affines.append((params[:params.size // 2], params[params.size // 2:]))
            continue
        (filters, rows, cols, stride, _, pad, _), pos = _ints(data, pos, 7)
        k = (params.size - filters) // (filters * rows * cols)
        weights = params[:filters * k * rows * cols].reshape(filters, k, rows, cols)
        convs.append([weights, params[filters * k * rows * cols:], stride, pad])
    if last is None or len(convs) != 1 + 2 * sum(n for _, n in _LEVELS) or len(affines) != len(convs):
        raise UnreadableNetwork(f"{len(convs)} convolutions, {len(affines)} affine layers; expected dlib's face "
                                f"ResNet (29 of each and a 128-output layer)")
    return [(*c, *a) for c, a in zip(convs, affines)], last


def _ints(data: bytes, pos: int, n: int) -> tuple[list[int], int]:
    """``n`` ints as dlib writes them (a byte count, 0x80 for negative, then the bytes, little-endian), and
    the position after them."""
    out = []
    for _ in range(n):
        size = data[pos] & 0x0F
        value = int.from_bytes(data[pos + 1:pos + 1 + size], "little")
        out.append(-value if data[pos] & 0x80 else value)
        pos += 1 + size
    return out, pos


def _tensor(data: bytes, pos: int) -> tuple[np.ndarray, int]:
    (version, *dims), pos = _ints(data, pos, 5)
    if version != 2:
        raise UnreadableNetwork(f"a tensor of version {version}; this reader knows version 2")
    count = int(np.prod(dims))
    return np.frombuffer(data, "<f4", count, pos).copy(), pos + 4 * count


class TorchFaceResNet:
    """``describe(chips)``: (n, 150, 150, 3) uint8 aligned faces -> (n, 128) float32 descriptors (dlib's
    scale, not unit length)."""

    def __init__(self, path: Path):
        import torch

        layers, last = read_dlib_network(path)
        self._layers = [(torch.from_numpy(w), torch.from_numpy(b), stride, pad,
                         torch.from_numpy(g).view(1, -1, 1, 1), torch.from_numpy(s).view(1, -1, 1, 1))
                        for w, b, stride, pad, g, s in layers]
        self._last = torch.from_numpy(last)
        self._mean = torch.tensor(_MEAN_RGB).view(1, 3, 1, 1)
        try:  # layers of other sizes than this architecture's fail here, not in the middle of an ingest
            self.describe(np.zeros((1, CHIP_SIDE, CHIP_SIDE, 3), np.uint8))
        except RuntimeError as exc:
            raise UnreadableNetwork(f"{path}: its layers do not fit dlib's face ResNet ({exc})") from exc

    def describe(self, chips: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = (torch.from_numpy(np.ascontiguousarray(chips)).permute(0, 3, 1, 2).float() - self._mean) / 256.0
            return self._forward(x).numpy().astype(np.float32)

    def _conv(self, x, i: int):
        import torch.nn.functional as F

        w, b, stride, pad, scale, shift = self._layers[i]
        return F.conv2d(x, w, b, stride, pad) * scale + shift

    def _forward(self, x):
        import torch.nn.functional as F

        x = F.max_pool2d(F.relu(self._conv(x, 0)), 3, 2)
        i = 1
        for level, (_, blocks) in enumerate(_LEVELS):
            for block in range(blocks):
                down = level > 0 and block == 0
                y = self._conv(F.relu(self._conv(x, i)), i + 1)
                i += 2
                x = F.relu(_add_at_larger(y, F.avg_pool2d(x, 2, 2) if down else x))
        return x.mean((2, 3)) @ self._last


def _add_at_larger(a, b):
    """dlib's add_prev: the sum at the larger of the two sizes (channels, rows, columns), zeros where one
    tensor is missing."""
    import torch.nn.functional as F

    c, h, w = (max(a.shape[d], b.shape[d]) for d in (1, 2, 3))

    def grow(t):
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, c - t.shape[1]))

    return grow(a) + grow(b)
