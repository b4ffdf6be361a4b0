"""Seconds per caption with the CPU preset's architecture (random weights: SmolVLM-256M
cannot be downloaded on the build machines).

    python -m bench.caption_speed [--frames 4] [--new-tokens 32] [--device cpu|cuda]

The model is Idefics3 with SmolVLM-256M-Instruct's shape: a SigLIP-B/16 vision tower at
512 px (12 layers, 768 wide), pixel shuffle 4 (64 tokens an image), and a SmolLM2-135M
language model (30 layers, 576 wide, 9 heads, 3 KV heads). Each caption sees N frames
(no tiling) and a short prompt, and generates a fixed number of tokens, greedily.
Writes bench/results/caption_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import write_results

SHAPE = {
    "text": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                 num_key_value_heads=3, vocab_size=49280, max_position_embeddings=8192, rope_theta=100000.0),
    "vision": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                   image_size=512, patch_size=16),
    "scale_factor": 4,
    "image_token_id": 49190,
}


def main() -> None:
    import torch
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration

    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.manual_seed(0)
    cfg = Idefics3Config(text_config=SHAPE["text"], vision_config=SHAPE["vision"], scale_factor=SHAPE["scale_factor"],
                         image_token_id=SHAPE["image_token_id"])
    dtype = torch.bfloat16 if args.device.startswith("cuda") else torch.float32
    model = Idefics3ForConditionalGeneration(cfg).to(args.device, dtype).eval()
    params_m = sum(p.numel() for p in model.parameters()) / 1e6
    per_image = (SHAPE["vision"]["image_size"] // SHAPE["vision"]["patch_size"]) ** 2 // SHAPE["scale_factor"] ** 2
    rng = np.random.default_rng(0)
    prompt = rng.integers(100, 40000, 24).tolist()
    ids = [1] + [SHAPE["image_token_id"]] * (per_image * args.frames) + prompt
    input_ids = torch.tensor([ids], device=args.device)
    px = torch.randn(1, args.frames, 3, 512, 512, device=args.device, dtype=dtype)
    mask = torch.ones(1, args.frames, 512, 512, dtype=torch.bool, device=args.device)

    def once() -> float:
        t = time.perf_counter()
        with torch.inference_mode():
            model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), pixel_values=px,
                           pixel_attention_mask=mask, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                           do_sample=False, pad_token_id=0)
        return time.perf_counter() - t

    once()  # warm-up
    times = [once() for _ in range(args.repeats)]
    sec = float(np.median(times))
    figures = {"device": args.device, "params_millions": round(params_m), "frames": args.frames,
               "image_tokens": per_image * args.frames, "new_tokens": args.new_tokens,
               "seconds_per_caption": round(sec, 2), "runs": [round(t, 2) for t in times]}
    md = (f"# Caption speed (bench/caption_speed.py)\n\nSmolVLM-256M architecture ({params_m:.0f} M parameters, random "
          f"weights), {args.device}, {args.frames} frames ({per_image * args.frames} image tokens) + a 24-token "
          f"prompt, {args.new_tokens} new tokens: **{sec:.1f} s per caption** (median of {args.repeats}).")
    write_results(f"caption_speed_{args.device.split(':')[0]}", figures, md)


if __name__ == "__main__":
    main()
