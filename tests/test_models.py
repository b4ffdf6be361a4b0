"""Model adapters on tiny random models: the production loaders, no downloads."""

from __future__ import annotations

import numpy as np
import pytest

from models.image_text import load_image_text_encoder
from models.weights import WeightsUnavailable


def test_open_clip_encoder_shapes_and_normalisation(tiny_clip):
    enc = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip))
    imgs = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8) for i in range(3)]
    v = enc.encode_images(imgs)
    t = enc.encode_texts(["a red car", "비 오는 밤"])
    assert v.shape == (3, 16) and t.shape == (2, 16)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5)


def test_trimmed_text_encoding_equals_the_full_context(tiny_clip):
    import torch

    enc = load_image_text_encoder("sf-tiny-clip", "random", "cpu", str(tiny_clip))
    assert enc._trim_mode == "clip"  # the speed-up applies to CLIP-style towers
    texts = ["a man", "two people arguing in a car on a rainy night in Seoul"]
    tokens = enc._tokenizer(texts)
    with torch.inference_mode():
        full = torch.nn.functional.normalize(enc._model.encode_text(tokens), dim=-1).numpy()
    assert np.allclose(enc.encode_texts(texts), full, atol=1e-5)


def test_missing_weights_say_what_to_do(tiny_clip):
    with pytest.raises(WeightsUnavailable, match="--visual-pretrained PATH"):
        load_image_text_encoder("ViT-B-32", "openai", "cpu", offline=True)
    with pytest.raises(ValueError, match="unknown open_clip model"):
        load_image_text_encoder("no-such-model", "random", "cpu")
