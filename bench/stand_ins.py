"""Benchmark stand-ins with the real architectures and random weights.

No image-text weights can be had offline here, so speed is measured on a model of the
CPU preset's shape (``VISUAL_PRESETS["cpu"]``, SigLIP 2 ViT-B/32 at 256 px): open_clip's own
architecture JSON for it, unchanged but for the tokenizer. The preset's Gemma tokenizer
comes from the model hub; open_clip's bundled one stands in (the text tower's compute,
12 layers, 768 wide, 64 tokens, 256k vocabulary, is the preset's). Its random weights are
saved once as a checkpoint file and loaded from it, as a user's downloaded weights are.

``previous=True`` gives the previous preset's shape (xlm-roberta-base-ViT-B-32, 512-d), which
bench/search_speed.py's synthetic library is still built for.
"""

from __future__ import annotations

import json
from pathlib import Path

# not "siglip" in the name: open_clip would fetch SigLIP's tokenizer from the hub for it; "multilingual"
# marks it as such for the query path, as "siglip2" marks the preset
BENCH_CLIP = "bench-sig2-b32-256-multilingual"
PRESET = "ViT-B-32-SigLIP2-256"
PREVIOUS_CLIP = "bench-xlmr-b32"
PREVIOUS = {
    "embed_dim": 512,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 250002, "width": 768, "heads": 12, "layers": 12},
}


def config() -> dict:
    import open_clip

    cfg = json.loads(json.dumps(open_clip.get_model_config(PRESET)))
    for key in ("hf_tokenizer_name", "tokenizer_kwargs"):
        cfg["text_cfg"].pop(key, None)
    return cfg


def bench_visual_settings(folder: Path, previous: bool = False) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    name = PREVIOUS_CLIP if previous else BENCH_CLIP
    path = folder / f"{name}.json"
    path.write_text(json.dumps(PREVIOUS if previous else config()))
    if previous:
        return {"visual_model": name, "visual_pretrained": "random", "visual_config": str(path)}
    return {"visual_model": name, "visual_pretrained": str(checkpoint(folder, name, path)), "visual_config": str(path)}


def bench_visual_args(folder: Path) -> list[str]:
    """The stand-in as ``main.py ingest`` options."""
    v = bench_visual_settings(folder)
    return ["--visual-model", v["visual_model"], "--visual-pretrained", v["visual_pretrained"],
            "--visual-config", v["visual_config"]]


def checkpoint(folder: Path, name: str, config_path: Path) -> Path:
    """The stand-in's random weights (seed 0) as a checkpoint file, written once."""
    out = folder / f"{name}.pt"
    if not out.exists():
        import torch

        from models.image_text import load_image_text_encoder

        enc = load_image_text_encoder(name, "random", "cpu", str(config_path), quantize_text=False, bf16_images=False)
        tmp = out.with_suffix(".tmp")
        torch.save(enc._model.state_dict(), tmp)
        tmp.replace(out)
    return out
