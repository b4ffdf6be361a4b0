"""What each candidate picture model costs here, beside its published Korean retrieval figure.

    python -m bench.picture_presets

No image-text weights can be had offline, so quality comes from published tables
(shared/MODELS.md: Crossmodal-3600 Korean, mean of R@1/5/10, immich's table) and cost is measured
on each candidate's image tower with random weights (the compute does not depend on the weights):
milliseconds per keyframe at batch 16, fp32, on this machine's CPU, and what that adds per minute
of video at the ingest's one keyframe per 4 s of shot (plus one per shot; about 20 a minute on film).
Writes bench/results/picture_presets.{json,md}.
"""

from __future__ import annotations

import time

from bench.common import write_results

import torch

# name, published C3600 Korean score, the image tower (open_clip config name or timm name), input side
CANDIDATES = [
    ("xlm-roberta-base-ViT-B-32", 65.4, "openclip:xlm-roberta-base-ViT-B-32", 224),
    ("ViT-B-32-SigLIP2-256", 67.5, "timm:vit_base_patch32_siglip_256", 256),
    ("ViT-B-16-SigLIP2", 70.3, "timm:vit_base_patch16_siglip_224", 224),
    ("nllb-clip-base-siglip", 73.2, "timm:vit_base_patch16_siglip_384", 384),
    ("nllb-clip-large-siglip", 77.2, "timm:vit_so400m_patch14_siglip_384", 384),
]
KEYFRAMES_PER_MIN = 20


def tower(spec: str) -> torch.nn.Module:
    kind, name = spec.split(":", 1)
    if kind == "timm":
        import timm

        return timm.create_model(name, pretrained=False, num_classes=0)
    import open_clip

    cfg = open_clip.get_model_config(name)["vision_cfg"]
    from open_clip.model import _build_vision_tower

    return _build_vision_tower(512, cfg)


def ms_per_image(model: torch.nn.Module, side: int, batch: int) -> float:
    x = torch.randn(batch, 3, side, side)
    model.eval()
    with torch.inference_mode():
        model(x[:2])  # warm up
        t = time.perf_counter()
        model(x)
        return (time.perf_counter() - t) * 1000 / batch


def main() -> None:
    rows = []
    for name, c3600, spec, side in CANDIDATES:
        model = tower(spec)
        batch = 4 if "so400m" in spec else 16
        ms = min(ms_per_image(model, side, batch) for _ in range(2))
        params = sum(p.numel() for p in model.parameters()) / 1e6
        rows.append({"model": name, "c3600_ko": c3600, "ms_per_keyframe": round(ms, 1), "params_m": round(params, 1),
                     "s_per_video_minute": round(ms * KEYFRAMES_PER_MIN / 1000, 2)})
        del model
    md = ["# Picture model candidates (bench/picture_presets.py)", "",
          f"Image tower cost on this CPU ({torch.get_num_threads()} threads, fp32, random weights), beside the "
          "published Crossmodal-3600 Korean score.", "",
          "| model | C3600 Korean (published) | ms per keyframe | s per minute of video | image tower params (M) |",
          "|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['model']} | {r['c3600_ko']} | {r['ms_per_keyframe']} | {r['s_per_video_minute']} | "
                  f"{r['params_m']} |")
    write_results("picture_presets", {"candidates": rows, "keyframes_per_minute": KEYFRAMES_PER_MIN}, "\n".join(md))


if __name__ == "__main__":
    main()
