"""Device choice: "auto" means CUDA when torch sees one, else CPU."""

from __future__ import annotations

import sys
from pathlib import Path


def resolve_device(device: str) -> str:
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"unknown device {device!r}; use auto, cpu or cuda")
    if device != "auto":
        if device.startswith("cuda") and not cuda_available():
            raise ValueError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu")
        return device
    return "cuda" if cuda_available() else "cpu"


def cuda_available() -> bool:
    # no NVIDIA driver on this machine: say so without importing torch (about a second)
    if sys.platform.startswith("linux") and not (
        Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()
    ):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
