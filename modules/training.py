"""LoRA fine-tuning of the captioning model, and training data made from a library.

Records are JSON lines ``{"video", "start_s", "end_s", "caption"}``. Training is a
plain PyTorch loop over PEFT LoRA: fp32 on CPU, bf16/fp16 on CUDA, gradient
accumulation, validation loss each epoch, a checkpoint each epoch that ``--resume``
continues from, and at the end a loadable adapter with a short model card.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from modules.captioning import caption_model_name
from modules.errors import SceneFinderError
from modules.media import sample_frames
from modules.settings import Settings

log = logging.getLogger(__name__)

# Attention projections of the language model only: the vision tower stays as it is.
DEFAULT_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj)"


@dataclass(frozen=True)
class Record:
    video: str
    start_s: float
    end_s: float
    caption: str


@dataclass(frozen=True)
class LoraSpec:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: str = DEFAULT_TARGETS  # a regex over module names, or a comma list of names
    lr: float = 2e-4
    epochs: int = 3
    batch_size: int = 1
    grad_accum: int = 4
    seed: int = 0
    prompt_lang: str = "en"

    def __post_init__(self) -> None:
        bounds = {"rank": (1, 512), "alpha": (1, 4096), "dropout": (0, 0.9), "lr": (1e-7, 1.0), "epochs": (1, 1000),
                  "batch_size": (1, 64), "grad_accum": (1, 1024)}
        for name, (lo, hi) in bounds.items():
            v = getattr(self, name)
            if not (math.isfinite(v) and lo <= v <= hi):
                raise SceneFinderError(f"--{name.replace('_', '-')} must be between {lo:g} and {hi:g} (got {v})")


@dataclass
class TrainReport:
    out_dir: str
    base_model: str
    train_records: int
    val_records: int
    epochs_run: int
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def read_jsonl(path: Path) -> list[Record]:
    """Raises SceneFinderError naming the file and line of a bad record."""
    path = Path(path)
    if not path.exists():
        raise SceneFinderError(f"{path}: no such file")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            rec = Record(str(d["video"]), float(d["start_s"]), float(d["end_s"]), str(d["caption"]).strip())
        except (ValueError, KeyError, TypeError) as exc:
            raise SceneFinderError(
                f"{path}:{n}: expected {{\"video\", \"start_s\", \"end_s\", \"caption\"}} ({type(exc).__name__}: {exc})"
            ) from exc
        if rec.end_s <= rec.start_s or not rec.caption:
            raise SceneFinderError(f"{path}:{n}: needs end_s > start_s and a caption")
        if not Path(rec.video).exists():
            raise SceneFinderError(f"{path}:{n}: video {rec.video} not found")
        out.append(rec)
    if not out:
        raise SceneFinderError(f"{path}: no records")
    return out


def _frames(records: list[Record], n: int) -> list[list]:
    return [sample_frames(Path(r.video), r.start_s, r.end_s, n, width=384) for r in records]


def _peft_targets(spec: LoraSpec):
    if "," in spec.target_modules or spec.target_modules.isidentifier():
        return [t.strip() for t in spec.target_modules.split(",") if t.strip()]
    return spec.target_modules


def train_lora(train_path: Path, val_path: Path | None, out_dir: Path, settings: Settings, spec: LoraSpec,
               resume: bool = False, progress: Callable[[dict], None] | None = None) -> TrainReport:
    import torch
    from models.captioner import PROMPTS, VLMCaptioner, load_vlm
    from models.device import resolve_device

    t0 = time.perf_counter()
    progress = progress or (lambda _: None)
    train = read_jsonl(train_path)
    val = read_jsonl(val_path) if val_path else []
    device = resolve_device(settings.device)
    base = caption_model_name(settings)
    out_dir = Path(out_dir)
    ckpt_root = out_dir / "checkpoints"

    random.seed(spec.seed)
    torch.manual_seed(spec.seed)
    model, processor = load_vlm(base, device, settings.offline)
    model, start_epoch, opt_state, report_hist = _with_adapter(model, spec, device,
                                                               _latest_checkpoint(ckpt_root) if resume else None)
    if device.startswith("cuda"):
        model = model.to(device)
    cap = VLMCaptioner(model, processor, base, None, device)
    processor.tokenizer.padding_side = "right"
    prompt = PROMPTS[spec.prompt_lang]
    progress({"stage": "reading frames", "records": len(train) + len(val)})
    train_frames, val_frames = _frames(train, settings.caption_frames), _frames(val, settings.caption_frames)

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=spec.lr)
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    autocast = (torch.autocast("cuda", dtype=next(model.parameters()).dtype) if device.startswith("cuda")
                else torch.autocast("cpu", enabled=False))

    def batches(records, frames, shuffle: bool):
        order = list(range(len(records)))
        if shuffle:
            random.shuffle(order)
        for i in range(0, len(order), spec.batch_size):
            idx = order[i : i + spec.batch_size]
            yield [frames[j] for j in idx], [records[j].caption for j in idx]

    def loss_of(clips, captions):
        with autocast:
            return model(**cap.inputs(clips, prompt, captions)).loss

    for epoch in range(start_epoch, spec.epochs):
        train_loss = _train_epoch(model, opt, batches(train, train_frames, shuffle=True), loss_of, spec.grad_accum,
                                  lambda step, loss: progress({"stage": "train", "epoch": epoch + 1, "step": step,
                                                               "loss": loss}))
        val_loss = _evaluate(model, val, val_frames, batches, loss_of) if val else float("nan")
        report_hist["train"].append(round(train_loss, 5))
        report_hist["val"].append(None if math.isnan(val_loss) else round(val_loss, 5))
        progress({"stage": "epoch", "epoch": epoch + 1, "train_loss": train_loss, "val_loss": val_loss})
        _checkpoint(ckpt_root / f"epoch-{epoch + 1}", model, opt, epoch + 1, report_hist)

    return _save(model, TrainReport(str(out_dir), base, len(train), len(val), spec.epochs, report_hist["train"],
                                    report_hist["val"], round(time.perf_counter() - t0, 1)), spec)


def _save(model, report: TrainReport, spec: LoraSpec) -> TrainReport:
    """The adapter and its model card into the report's folder."""
    model.save_pretrained(report.out_dir)
    _model_card(Path(report.out_dir), report, spec)
    return report


def _with_adapter(model, spec: LoraSpec, device: str, latest: Path | None):
    """(the model with a LoRA adapter, the epoch to start from, the optimiser's state, the loss history): a
    fresh adapter, or the one of the last checkpoint when resuming."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model

    if latest is None:
        cfg = LoraConfig(r=spec.rank, lora_alpha=spec.alpha, lora_dropout=spec.dropout,
                         target_modules=_peft_targets(spec), bias="none")
        return get_peft_model(model, cfg), 0, None, {"train": [], "val": []}
    model = PeftModel.from_pretrained(model, str(latest), is_trainable=True)
    state = json.loads((latest / "state.json").read_text())
    log.info("resuming from %s (epoch %d)", latest, state["epoch"])
    return (model, state["epoch"], torch.load(latest / "optimizer.pt", map_location=device),
            state.get("history", {"train": [], "val": []}))


def _train_epoch(model, opt, batches, loss_of, grad_accum: int, progress) -> float:
    """One pass over the training batches, the gradient accumulated over ``grad_accum`` of them; the mean loss."""
    model.train()
    total, n, step = 0.0, 0, 0
    opt.zero_grad()
    for clips, captions in batches:
        loss = loss_of(clips, captions)
        (loss / grad_accum).backward()
        total, n, step = total + float(loss.detach()), n + 1, step + 1
        if step % grad_accum == 0:
            opt.step()
            opt.zero_grad()
        progress(step, float(loss))
    if step % grad_accum:
        opt.step()
        opt.zero_grad()
    return total / max(1, n)


def _evaluate(model, val, frames, batches, loss_of) -> float:
    import torch

    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for clips, captions in batches(val, frames, shuffle=False):
            total, n = total + float(loss_of(clips, captions)), n + 1
    return total / max(1, n)


def _checkpoint(folder: Path, model, opt, epoch: int, history: dict) -> None:
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    torch.save(opt.state_dict(), folder / "optimizer.pt")
    tmp = folder / "state.json.tmp"
    tmp.write_text(json.dumps({"epoch": epoch, "history": history}))
    tmp.replace(folder / "state.json")  # written last: a checkpoint without it is incomplete


def _latest_checkpoint(root: Path) -> Path | None:
    done = [p for p in root.glob("epoch-*") if (p / "state.json").exists()]
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def _model_card(out_dir: Path, report: TrainReport, spec: LoraSpec) -> None:
    (out_dir / "training_report.json").write_text(json.dumps({**asdict(report), "lora": asdict(spec)}, indent=2))
    val = next((v for v in reversed(report.val_loss) if v is not None), None)
    (out_dir / "README.md").write_text(
        f"# Scene Finder caption adapter\n\n"
        f"LoRA adapter for `{report.base_model}`, trained by `main.py train-lora`.\n\n"
        f"- data: {report.train_records} training and {report.val_records} validation clips\n"
        f"- LoRA: rank {spec.rank}, alpha {spec.alpha}, dropout {spec.dropout}, targets `{spec.target_modules}`\n"
        f"- schedule: {report.epochs_run} epochs, lr {spec.lr}, batch {spec.batch_size} x {spec.grad_accum} accumulation\n"
        f"- train loss by epoch: {report.train_loss}\n"
        f"- validation loss by epoch: {report.val_loss} (final {val})\n"
    )


# --- training data from a library ---------------------------------------------------------


def make_dataset(settings: Settings, out_dir: Path, split: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> dict[str, int]:
    """Write train/val/test JSONL from the library's captioned shots.

    The split is by video (all shots of one video in one split, so no scene leaks
    from training into evaluation) and deterministic: a hash of the video path.
    """
    from modules.store import Library

    if len(split) != 3 or abs(sum(split) - 1.0) > 1e-6 or min(split) < 0:
        raise SceneFinderError(f"--split needs three fractions that add up to 1 (got {split})")
    with Library.open(settings.db_dir) as lib:
        rows = lib.captioned_shots()
    if not rows:
        raise SceneFinderError(
            "no captioned shots in the library: caption them first (main.py ingest PATH --captions, "
            "with a larger --caption-model for better training targets)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    names = ("train", "val", "test")
    files = {n: open(out_dir / f"{n}.jsonl", "w", encoding="utf-8") for n in names}
    counts = dict.fromkeys(names, 0)
    try:
        for r in rows:
            h = int(hashlib.sha1(r["path"].encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            name = "train" if h < split[0] else ("val" if h < split[0] + split[1] else "test")
            rec = {"video": r["path"], "start_s": round(r["start_s"], 3), "end_s": round(r["end_s"], 3),
                   "caption": r["caption"]}
            files[name].write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts[name] += 1
    finally:
        for f in files.values():
            f.close()
    return counts
