"""Video to text with a tiny random VLM: captioning a real clip span, LoRA training that
lowers the loss, adapters that reload and change the output, and the error paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from modules.captioning import caption_span, get_captioner
from modules.errors import AdapterError, BadSpan
from modules.ingest import ingest
from modules.store import Library
from modules.search import Searcher
from modules.training import LoraSpec, make_dataset, train_lora
from tests.conftest import cli_env, index_sizes
from tests.tiny_vlm import build_tiny_vlm

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("vlm") / "tiny-llava")


@pytest.fixture()
def cap_settings(settings, tiny_vlm, tmp_path):
    return settings.with_overrides(caption_model=str(tiny_vlm), lora_dir=tmp_path / "lora", caption_frames=2)


def _jsonl(path: Path, clips: dict[str, Path]) -> Path:
    recs = [
        {"video": str(clips["station"]), "start_s": 0.0, "end_s": 4.0, "caption": "a train leaves the station"},
        {"video": str(clips["garden"]), "start_s": 4.0, "end_s": 8.0, "caption": "a woman opens the door"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_caption_span_of_a_real_clip_with_its_dialogue(clips, cap_settings, engines):
    res = caption_span(clips["station"], 3.5, 8.0, cap_settings, ("ko", "en"), transcriber=engines.transcriber)
    assert set(res.captions) == {"ko", "en"} and all(isinstance(c, str) for c in res.captions.values())
    assert any("last train" in d["text"].lower() for d in res.dialogue)
    assert all(3.0 <= d["start_s"] <= 8.5 for d in res.dialogue)
    assert {"frames_s", "asr_s", "caption_en_s"} <= set(res.timings_s)
    srt = res.to_srt()
    assert "-->" in srt and "last train" in srt.lower()


@pytest.mark.parametrize("start,end,msg", [(5, 5, "before"), (-1, 3, "negative"), (50, 60, "past the end"),
                                           (0, 500, "at most")])
def test_bad_spans_are_refused(clips, cap_settings, start, end, msg):
    with pytest.raises(BadSpan, match=msg):
        caption_span(clips["station"], start, end, cap_settings.with_overrides(max_caption_span_s=120))


def test_lora_training_lowers_the_loss_and_the_adapter_changes_the_output(clips, cap_settings, tmp_path):
    import torch

    data = _jsonl(tmp_path / "train.jsonl", clips)
    spec = LoraSpec(rank=8, alpha=16, dropout=0.0, lr=1e-2, epochs=8, grad_accum=1,
                    target_modules="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    report = train_lora(data, data, cap_settings.lora_dir, cap_settings, spec)
    assert report.train_loss[-1] < report.train_loss[0] * 0.8, report.train_loss
    assert report.val_loss[-1] < report.val_loss[0]
    assert (cap_settings.lora_dir / "adapter_config.json").exists()
    assert "validation loss" in (cap_settings.lora_dir / "README.md").read_text()

    adapted = get_captioner(cap_settings, use_adapter=True)
    base = get_captioner(cap_settings, use_adapter=False)
    assert adapted.adapter is not None and base.adapter is None
    frames = [np.full((64, 96, 3), 120, np.uint8), np.full((64, 96, 3), 30, np.uint8)]
    with torch.no_grad():
        la = adapted.model(**adapted.inputs([frames], "describe")).logits
        lb = base.model(**base.inputs([frames], "describe")).logits
    assert not torch.allclose(la, lb, atol=1e-4)


def test_training_resumes_from_its_last_checkpoint(clips, cap_settings, tmp_path):
    data = _jsonl(tmp_path / "train.jsonl", clips)
    out = tmp_path / "resumable"
    train_lora(data, None, out, cap_settings, LoraSpec(epochs=1, grad_accum=1, lr=1e-3))
    report = train_lora(data, None, out, cap_settings, LoraSpec(epochs=2, grad_accum=1, lr=1e-3), resume=True)
    assert len(report.train_loss) == 2  # epoch 1 from the checkpoint, epoch 2 run now
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["epoch-1", "epoch-2"]


def test_adapter_for_another_base_or_corrupt_is_refused(cap_settings, clips, tmp_path):
    data = _jsonl(tmp_path / "train.jsonl", clips)
    train_lora(data, None, cap_settings.lora_dir, cap_settings, LoraSpec(epochs=1))
    cfg_path = cap_settings.lora_dir / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["base_model_name_or_path"] = "someone/another-vlm"
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(AdapterError, match="another-vlm"):
        get_captioner(cap_settings.with_overrides(lora_dir=cap_settings.lora_dir))
    cfg["base_model_name_or_path"] = cap_settings.caption_model
    cfg_path.write_text(json.dumps(cfg))
    (cap_settings.lora_dir / "adapter_model.safetensors").write_bytes(b"not a tensor file")
    corrupt = cap_settings.with_overrides(lora_dir=cap_settings.lora_dir)
    with pytest.raises(AdapterError, match="does not load"):
        get_captioner(corrupt)
    assert get_captioner(corrupt, use_adapter=False).adapter is None  # the base model alone still works


def test_ingest_with_captions_fills_the_caption_channel(clips, cap_settings, engines, tmp_path):
    ingest([clips["station"]], cap_settings, engines=engines)  # first without captions
    ingest([clips["station"], clips["garden"]], cap_settings, engines=engines, captions=True)
    with Library.open(cap_settings.db_dir) as lib:
        n_shots = lib.count("shots")
        assert lib.uncaptioned_shots() == []
        assert index_sizes(lib, "caption") == [n_shots] * 2 and n_shots == 5
        assert lib.manifest.data["captioner"].startswith(str(cap_settings.caption_model))
    s = Searcher(cap_settings, engines)
    assert s.channels["caption"] == "on"
    res = s.search("a train at a station")
    assert any(h.scores["caption"] is not None for h in res.hits)
    s.close()
    counts = make_dataset(cap_settings, tmp_path / "data", (0.5, 0.25, 0.25))
    assert sum(counts.values()) == 5
    lines = [json.loads(x) for n in ("train", "val", "test") for x in (tmp_path / "data" / f"{n}.jsonl").read_text().splitlines()]
    assert {"video", "start_s", "end_s", "caption"} <= set(lines[0])
    again = make_dataset(cap_settings, tmp_path / "data2", (0.5, 0.25, 0.25))
    assert again == counts  # deterministic
    # the command a user runs, with its output checked the same way
    out = subprocess.run([sys.executable, "main.py", "make-dataset", "--db", str(cap_settings.db_dir), "--out",
                          str(tmp_path / "data3"), "--split", "0.5,0.25,0.25"], cwd=ROOT, env=cli_env(cap_settings),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    by_split = {n: (tmp_path / "data3" / f"{n}.jsonl").read_text().splitlines() for n in ("train", "val", "test")}
    assert {n: len(v) for n, v in by_split.items()} == counts
    videos = {n: {json.loads(x)["video"] for x in v} for n, v in by_split.items()}
    assert not (videos["train"] & videos["val"]) and not (videos["train"] & videos["test"])  # no video in two


def test_cli_caption_json_and_errors(clips, cap_settings, tmp_path):
    env = {**cli_env(cap_settings), "SCENE_FINDER_CAPTION_MODEL": cap_settings.caption_model,
           "SCENE_FINDER_LORA_DIR": str(tmp_path / "no-adapter-here")}
    out = subprocess.run([sys.executable, "main.py", "caption", str(clips["garden"]), "--start", "0", "--end", "4",
                          "--json", "--frames", "2", "--out", str(tmp_path / "out")],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data["captions"]) == {"ko", "en"} and any("roses" in d["text"].lower() for d in data["dialogue"])
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".json", ".srt"]
    for args in (["--start", "9", "--end", "3"], ["--start", "100", "--end", "110"]):
        bad = subprocess.run([sys.executable, "main.py", "caption", str(clips["garden"]), *args],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr
    bad = subprocess.run([sys.executable, "main.py", "train-lora", "--train", str(tmp_path / "missing.jsonl")],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_missing_vlm_weights_are_a_clear_error_before_any_work(clips, settings):
    env = {**cli_env(settings), "SCENE_FINDER_CAPTION_MODEL": "HuggingFaceTB/SmolVLM-256M-Instruct"}
    for args in (["caption", str(clips["garden"]), "--start", "0", "--end", "2"],
                 ["ingest", str(clips["garden"]), "--captions"]):
        out = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert out.returncode == 2, out.stderr
        assert "error:" in out.stderr and "--caption-model PATH" in out.stderr and "Traceback" not in out.stderr
    assert not (settings.db_dir / "catalog.sqlite").exists()  # nothing was ingested
