"""Video to text: a vision-language model (transformers, no trust_remote_code) with an
optional LoRA adapter applied through peft.

``caption(clips, prompt)`` takes a list of clips, each a list of RGB uint8 frames
``(H, W, 3)``, and returns one string per clip. ``inputs(frames, prompt, target)``
builds model inputs (and training labels) the same way for captioning and training.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from models.weights import WeightsUnavailable, go_offline, may_download

log = logging.getLogger(__name__)

# CPU: the smallest instruction-tuned VLM transformers loads natively (Idefics3, 256M).
# GPU: Qwen2.5-VL 3B, native video input, a strong small open model on video benchmarks.
CAPTION_PRESETS = {"cpu": "HuggingFaceTB/SmolVLM-256M-Instruct", "gpu": "Qwen/Qwen2.5-VL-3B-Instruct"}
PROMPTS = {
    "en": "Describe what happens in this movie scene in one sentence.",
    "ko": "이 영화 장면에서 일어나는 일을 한국어 한 문장으로 설명하세요.",
}


class AdapterProblem(RuntimeError):
    """A LoRA adapter that is missing, corrupt or made for another base model."""


class Captioner(Protocol):
    identity: str

    def caption(self, clips: Sequence[Sequence[np.ndarray]], prompt: str, max_new_tokens: int = 48) -> list[str]: ...


class VLMCaptioner:
    def __init__(self, model, processor, base: str, adapter: str | None, device: str, batch_size: int = 4):
        self.model = model
        self.processor = processor
        self.base = base
        self.adapter = adapter
        self.device = device
        self.batch_size = batch_size
        self.identity = f"{base}+lora:{Path(adapter).name}" if adapter else base

    def _messages(self, n_frames: int, prompt: str) -> list[dict]:
        content = [{"type": "image"} for _ in range(n_frames)] + [{"type": "text", "text": prompt}]
        return [{"role": "user", "content": content}]

    def prompt_text(self, n_frames: int, prompt: str) -> str:
        return self.processor.apply_chat_template(self._messages(n_frames, prompt), add_generation_prompt=True)

    def inputs(self, clips: Sequence[Sequence[np.ndarray]], prompt: str, targets: Sequence[str] | None = None):
        """Batch inputs; with ``targets``, ``labels`` that score only the target tokens."""
        import torch

        prompts = [self.prompt_text(len(c), prompt) for c in clips]
        texts = prompts if targets is None else [p + t + (self._eos or "") for p, t in zip(prompts, targets)]
        images = [list(c) for c in clips]
        batch = self.processor(images=images, text=texts, return_tensors="pt", padding=True)
        if targets is not None:
            labels = batch["input_ids"].clone()
            for i, (c, p) in enumerate(zip(clips, prompts)):
                n_prompt = self.processor(images=[list(c)], text=[p], return_tensors="pt")["input_ids"].shape[1]
                pad_left = int((batch["attention_mask"][i] == 0).sum()) if self._left_padded else 0
                labels[i, : pad_left + n_prompt] = -100
            labels[batch["attention_mask"] == 0] = -100
            batch["labels"] = labels
        return {k: (v.to(self.device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}

    @property
    def _eos(self) -> str | None:
        return getattr(self.processor.tokenizer, "eos_token", None)

    @property
    def _left_padded(self) -> bool:
        return getattr(self.processor.tokenizer, "padding_side", "right") == "left"

    def caption(self, clips: Sequence[Sequence[np.ndarray]], prompt: str, max_new_tokens: int = 48) -> list[str]:
        import torch

        tok = self.processor.tokenizer
        tok.padding_side = "left"  # generation continues from the right edge
        out: list[str] = []
        self.model.eval()
        with torch.inference_mode():
            for i in range(0, len(clips), self.batch_size):
                batch = self.inputs(clips[i : i + self.batch_size], prompt)
                gen = self.model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                          pad_token_id=tok.pad_token_id)
                new = gen[:, batch["input_ids"].shape[1]:]
                out.extend(t.strip() for t in self.processor.batch_decode(new, skip_special_tokens=True))
        return out


def load_vlm(name: str, device: str, offline: bool = False):
    """(model, processor) from a folder, the local cache, or a download. Raises WeightsUnavailable."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    if device.startswith("cuda"):
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.float32
    local = Path(name).is_dir()
    attempts = [True] if local else [True, False]
    if not local:
        if offline:
            go_offline()
        elif not may_download(offline):
            attempts = [True]
    last: Exception | None = None
    for local_only in attempts:
        try:
            processor = AutoProcessor.from_pretrained(name, local_files_only=local_only)
            model = AutoModelForImageTextToText.from_pretrained(name, dtype=dtype, local_files_only=local_only)
            return model.to(device), processor
        except (OSError, ValueError) as exc:
            last = exc
    raise WeightsUnavailable(
        f"vision-language model {name!r} is not cached here and could not be downloaded "
        f"({type(last).__name__}); run ./setup.sh on a machine with a network, or pass a model folder "
        f"with --caption-model PATH"
    )


def adapter_base(lora_dir: Path) -> str | None:
    """The base model an adapter folder was trained on; None when there is no adapter."""
    cfg = Path(lora_dir) / "adapter_config.json"
    if not cfg.exists():
        return None
    try:
        return json.loads(cfg.read_text())["base_model_name_or_path"]
    except (ValueError, KeyError) as exc:
        raise AdapterProblem(f"{cfg} is not a valid adapter config ({exc}); train one with main.py train-lora") from exc


def same_model(a: str, b: str) -> bool:
    """Same hub name, or two folders that are the same folder."""
    if a == b:
        return True
    pa, pb = Path(a), Path(b)
    return pa.exists() and pb.exists() and pa.resolve() == pb.resolve()


def load_captioner(base: str, lora_dir: Path | None, device: str, offline: bool = False,
                   batch_size: int = 4) -> VLMCaptioner:
    """The base model, with the adapter in ``lora_dir`` applied when there is one.

    Raises AdapterProblem when the adapter names another base model or does not load.
    """
    adapter = None
    if lora_dir is not None:
        trained_on = adapter_base(lora_dir)
        if trained_on is not None:
            if not same_model(trained_on, base):
                raise AdapterProblem(
                    f"the adapter in {lora_dir}/ was trained on {trained_on!r}, but the base model is {base!r}; "
                    f"use --caption-model {trained_on} or --no-adapter"
                )
            adapter = str(lora_dir)
    model, processor = load_vlm(base, device, offline)
    if adapter:
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, adapter)
        except Exception as exc:  # noqa: BLE001 - peft raises many kinds for damaged files
            raise AdapterProblem(
                f"the adapter in {lora_dir}/ does not load ({type(exc).__name__}: {str(exc)[:160]}); "
                f"retrain it with main.py train-lora, or use --no-adapter"
            ) from exc
    return VLMCaptioner(model, processor, base, adapter, device, batch_size)
