"""Benchmark stand-ins with the real architectures and random weights.

No image-text weights can be had offline here, so speed is measured on models
of the CPU preset's shape: the image tower is open_clip's ViT-B/32 (the vision
tower of xlm-roberta-base-ViT-B-32, unchanged), and the text tower a 12-layer,
768-wide transformer over 77 tokens with XLM-R's 250k vocabulary (the compute
of XLM-R base, which is what the preset runs per query).
"""

from __future__ import annotations

import json
from pathlib import Path

BENCH_CLIP = "bench-xlmr-b32"
CONFIG = {
    "embed_dim": 512,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 250002, "width": 768, "heads": 12, "layers": 12},
}


def bench_visual_settings(folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{BENCH_CLIP}.json"
    path.write_text(json.dumps(CONFIG))
    return {"visual_model": BENCH_CLIP, "visual_pretrained": "random", "visual_config": str(path)}
