"""Image-text embeddings (open_clip) for keyframes and visual queries.

``encode_images`` takes RGB uint8 arrays ``(H, W, 3)`` and ``encode_texts``
strings; both return ``(n, dim)`` float32, L2-normalised. Models are named as
open_clip names them: ``(model_name, pretrained)``, where pretrained is a tag
(downloaded once, then read from the cache), a checkpoint path, or ``"random"``
(random initialisation: for tests and speed benchmarks only, recorded as such).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from models.fast_load import checkpoint_mapped, init_skipped
from models.weights import WeightsUnavailable, go_offline, known_missing, may_download

log = logging.getLogger(__name__)

RANDOM = "random"
_MULTILINGUAL_MARKERS = ("xlm", "nllb", "mt5", "i18n", "multilingual", "m-clip", "siglip2")  # SigLIP 2: WebLI, many languages


class ImageTextEncoder(Protocol):
    identity: str
    dim: int
    multilingual: bool  # False: queries in other languages are translated to English first

    def encode_images(self, images: Sequence[np.ndarray], threads: int = 0) -> np.ndarray:
        """``threads``: on the CPU, torch's threads for this call (0: its own count)."""

    def prepare_texts(self) -> None:
        """Make the text side ready now (else the first encode_texts does); raises WeightsUnavailable."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


class OpenClipEncoder:
    def __init__(self, model, preprocess, make_tokenizer, name: str, pretrained: str, device: str,
                 batch_size: int = 16, quantize_text: bool = True, bf16_images: bool = True):
        """``make_tokenizer()`` gives the tokenizer; it is called when texts are first encoded."""
        import torch

        self._torch = torch
        self._model = model.eval()
        self._preprocess = preprocess
        self._make_tokenizer = make_tokenizer
        self._tokenizer = None
        self._device = device
        self._batch = batch_size
        self.identity = f"open_clip:{name}:{pretrained}"
        self.multilingual = any(m in name.lower() for m in _MULTILINGUAL_MARKERS)
        self._quantize_text = quantize_text and device == "cpu"
        self._text_lock = threading.Lock()
        self._text_ready = False
        self._trim_mode, self._pad_id, self.text_int8 = "", 0, False
        # the probe pictures' fp32 embeddings: their width is the model's, and the bf16 check compares with them
        check_bf16 = bf16_images and device == "cpu" and native_bf16()
        probes = self._pixels(probe_pictures() if check_bf16 else probe_pictures()[:1])
        with torch.inference_mode():
            ref = torch.nn.functional.normalize(self._model.encode_image(probes).float(), dim=-1)
        self.dim = int(ref.shape[-1])
        self.image_bf16 = check_bf16 and self._image_tower_to_bf16(probes, ref)
        self._image_dtype = torch.bfloat16 if self.image_bf16 else torch.float32

    # Ingest embeds only pictures: the text side (its tokenizer, the trimming and int8 checks, ~1 s of a
    # core) is made ready when the first text is encoded, or beforehand by whoever will search.
    def prepare_texts(self) -> None:
        with self._text_lock:
            if self._text_ready:
                return
            try:
                self._tokenizer = self._make_tokenizer()
            except Exception as exc:  # noqa: BLE001 - a hub tokenizer not cached here: no text queries
                raise WeightsUnavailable(
                    f"the tokenizer of {self.identity} is not cached here and could not be downloaded; "
                    f"run ./setup.sh on a machine with a network") from exc
            self._trim_mode, self._pad_id = self._choose_trim()
            self.text_int8 = self._quantize_text and self._quantize_text_tower()
            self._text_ready = True

    # Queries are a few tokens padded to the full context (77): running only up to the last
    # real token is ~5x less work and, for masked (HF) or causal argmax-pooled towers, the same
    # result. Which applies is checked once on a probe sentence; otherwise nothing is trimmed.
    def _choose_trim(self) -> tuple[str, int]:
        torch = self._torch
        m = self._model
        if type(getattr(m, "text", None)).__name__ == "HFTextEncoder":
            mode, pad = "hf", int(m.text.config.pad_token_id)
        elif getattr(m, "attn_mask", None) is not None and getattr(m, "text_pool_type", "") == "argmax":
            mode, pad = "clip", 0
        else:
            return "", 0
        probe = self._tokenizer(["a photo of two people talking in a car at night"]).to(self._device)
        with torch.inference_mode():
            full = m.encode_text(probe)
            self._trim_mode, self._pad_id = mode, pad
            try:
                trimmed = self._text_features(probe)
            except Exception:  # noqa: BLE001 - an architecture we do not know: no trimming
                return "", 0
        return (mode, pad) if torch.allclose(full, trimmed, atol=1e-4, rtol=1e-3) else ("", 0)

    # On a CPU the query's text tower runs int8 (dynamic quantisation of its Linear layers):
    # 1.3-2x faster per query. Kept only when it agrees with fp32 on probe sentences.
    def _quantize_text_tower(self) -> bool:
        import copy
        import warnings

        torch = self._torch
        name = {"clip": "transformer", "hf": "text"}.get(self._trim_mode)
        if name is None:
            return False
        probes = ["a photo of two people talking in a car at night", "비 오는 밤에 뛰어가는 남자", "a red umbrella"]
        tokens = self._tokenizer(probes).to(self._device)
        original = getattr(self._model, name)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's deprecation notice
            ref = torch.nn.functional.normalize(self._text_features(tokens), dim=-1)
            try:
                quant = torch.ao.quantization.quantize_dynamic(copy.deepcopy(original), {torch.nn.Linear},
                                                               dtype=torch.qint8)
            except (AttributeError, RuntimeError):
                return False
            setattr(self._model, name, quant)
            got = torch.nn.functional.normalize(self._text_features(tokens), dim=-1)
        if float((ref * got).sum(-1).min()) >= 0.995:
            return True
        setattr(self._model, name, original)
        return False

    # On a CPU with bfloat16 instructions (AVX512-BF16, AMX) the image tower runs in bf16: 1.8x less
    # time a keyframe than fp32 (SigLIP 2 B/32 on 2 cores), cosine 0.9999+ to fp32's embeddings, where
    # int8 gave 0.975. Kept only when it agrees with fp32 on probe pictures; on a CPU without those
    # instructions bf16 is emulated, slower than fp32, and fp32 stays.
    def _image_tower_to_bf16(self, probes, ref) -> bool:
        """``ref``: the fp32 tower's normalised embeddings of the ``probes`` pixels."""
        torch = self._torch
        visual = getattr(self._model, "visual", None)
        if visual is None:
            return False
        with torch.inference_mode():
            # the tower with bf16 copies of its tensors, the fp32 ones left in place (no second fp32 copy)
            low = {k: v.to(torch.bfloat16) if v.is_floating_point() else v
                   for k, v in (*visual.named_parameters(), *visual.named_buffers())}
            try:
                got = torch.func.functional_call(visual, low, (probes.to(torch.bfloat16),))
            except (RuntimeError, TypeError) as exc:  # an op without a bf16 kernel: stay in fp32
                log.info("image tower kept in fp32: %s", exc)
                return False
            finally:
                del low
            agreement = float((ref * torch.nn.functional.normalize(got.float(), dim=-1)).sum(-1).min())
        if agreement < 0.999:
            log.info("image tower kept in fp32: bf16 agrees to cosine %.4f only", agreement)
            return False
        visual.to(torch.bfloat16)
        return True

    def _pixels(self, images: Sequence[np.ndarray]):
        from PIL import Image

        return self._torch.stack([self._preprocess(Image.fromarray(im)) for im in images]).to(self._device)

    def _text_features(self, tokens):
        if not self._trim_mode:
            return self._model.encode_text(tokens)
        real = (tokens != self._pad_id).any(dim=0).nonzero()
        n = int(real.max()) + 1 if len(real) else tokens.shape[1]
        tokens = tokens[:, :n]
        if self._trim_mode == "hf":
            return self._model.encode_text(tokens)
        m = self._model  # open_clip CLIP.encode_text with the context cut to n tokens
        x = m.token_embedding(tokens) + m.positional_embedding[:n]
        x = m.transformer(x, attn_mask=m.attn_mask[:n, :n])
        x = m.ln_final(x)
        x = x[self._torch.arange(x.shape[0]), tokens.argmax(dim=-1)]
        return m.text_projection(x) if isinstance(m.text_projection, self._torch.nn.Linear) else x @ m.text_projection

    def encode_images(self, images: Sequence[np.ndarray], threads: int = 0) -> np.ndarray:
        if not len(images):
            return np.zeros((0, self.dim), np.float32)
        torch = self._torch
        out = []
        with torch.inference_mode(), _torch_threads(torch, threads if self._device == "cpu" else 0):
            for i in range(0, len(images), self._batch):
                feats = self._model.encode_image(self._pixels(images[i : i + self._batch]).to(self._image_dtype))
                out.append(torch.nn.functional.normalize(feats.float(), dim=-1).cpu().numpy())
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self.prepare_texts()
        torch = self._torch
        with torch.inference_mode():
            feats = self._text_features(self._tokenizer(list(texts)).to(self._device))
            return np.ascontiguousarray(torch.nn.functional.normalize(feats.float(), dim=-1).cpu().numpy())


@contextlib.contextmanager
def _torch_threads(torch, n: int):
    """torch's intra-op threads set to ``n`` for the block (0: left as they are). The count is the
    process's: a call made meanwhile in another thread runs on it too."""
    before = torch.get_num_threads()
    if n and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n and n != before:
            torch.set_num_threads(before)


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX), as torch sees it."""
    import torch

    for check in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        probe = getattr(torch.cpu, check, None)
        if probe is not None and probe():
            return True
    return False


def probe_pictures() -> list[np.ndarray]:
    """Three 256 px pictures with the statistics of frames (smooth shading, edges, texture), made the same
    every time: what a reduced-precision tower must embed as fp32 does before it is used."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:256, 0:256].astype(np.float32) / 255
    shading = np.stack([x, y, 1 - x * y], -1)
    blocks = np.kron(rng.random((8, 8, 3)), np.ones((32, 32, 1)))
    texture = np.clip(0.5 + 0.25 * rng.standard_normal((256, 256, 3)), 0, 1)
    return [(255 * im).astype(np.uint8) for im in (shading, blocks, 0.5 * shading + 0.5 * texture)]


def load_image_text_encoder(
    name: str, pretrained: str, device: str, config_path: str = "", offline: bool = False, batch_size: int = 16,
    quantize_text: bool = True, bf16_images: bool = True,
) -> OpenClipEncoder:
    """Load an open_clip model. ``config_path`` registers an extra architecture JSON first.

    Raises WeightsUnavailable with the next step when the weights cannot be had.
    """
    if not config_path and known_missing(name, pretrained, offline):
        raise WeightsUnavailable(f"no weights for {name}:{pretrained} on this machine (not cached, no model hub)")
    import open_clip

    if config_path:
        open_clip.add_model_config(config_path)
    if name not in open_clip.list_models():
        raise ValueError(f"unknown open_clip model {name!r}; see open_clip.list_models() or pass --visual-config")
    if pretrained == RANDOM:
        log.warning("visual model %s has RANDOM weights: for tests and speed benchmarks only", name)
        weights = None
    elif pretrained and Path(pretrained).is_file():
        weights = pretrained
    else:
        if not pretrained:
            raise WeightsUnavailable(f"no pretrained weights named for {name!r}; pass --visual-pretrained TAG or PATH")
        if offline:
            go_offline()
        else:
            may_download(offline)  # switches the HF stack to cache-only when the hub is unreachable
        weights = pretrained
    logging.disable(logging.ERROR)  # open_clip logs its own download failure at ERROR; we say it once, below
    try:
        import torch

        with torch.random.fork_rng(devices=[]), init_skipped(weights is not None), checkpoint_mapped(device):
            torch.manual_seed(0)  # "random" weights are the same in every process: a library stays searchable
            model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=weights, device=device)
    except Exception as exc:  # noqa: BLE001 - hub, file and config errors all mean "no weights here"
        log.debug("open_clip %s:%s failed: %s", name, pretrained, exc)
        raise WeightsUnavailable(
            f"open_clip {name}:{pretrained} is not cached here and could not be downloaded; "
            f"run ./setup.sh on a machine with a network, or pass a checkpoint with --visual-pretrained PATH"
        ) from exc
    finally:
        logging.disable(logging.NOTSET)
    return OpenClipEncoder(model, preprocess, functools.partial(open_clip.get_tokenizer, name), name,
                           pretrained or RANDOM, device, batch_size, quantize_text, bf16_images)
