"""Device choice: "auto" means CUDA when torch sees one, else CPU."""

from __future__ import annotations


def resolve_device(device: str) -> str:
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"unknown device {device!r}; use auto, cpu or cuda")
    if device != "auto":
        if device.startswith("cuda") and not cuda_available():
            raise ValueError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu")
        return device
    return "cuda" if cuda_available() else "cpu"


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
