"""Retrieval quality on a labelled set (bench/quality_set.py), and calibration of the
"no confident match" threshold.

    python bench/quality.py              # R@1, R@5, MRR per channel and fused
    python bench/quality.py --calibrate  # also fit the threshold, write modules/calibration.json

Builds its library once under bench/.work/quality (real video made with ffmpeg and
espeak-ng, real offline Whisper and e5 weights). The visual channel is measured only
where real image-text weights are installed; elsewhere it is reported as not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, write_results  # noqa: E402

import quality_set as qs  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from modules.ingest import ingest  # noqa: E402
from modules.samples import SampleShot, make_clip  # noqa: E402
from modules.search import CALIBRATION_FILE, Searcher, load_calibration, query_language  # noqa: E402
from modules.settings import Settings  # noqa: E402


def build(settings: Settings) -> None:
    clip_dir = WORK / "quality" / "clips"
    for name, lines in qs.clips().items():
        if not (clip_dir / name).exists():
            make_clip(clip_dir / name, [SampleShot(qs.SHOT_S, line, source=i) for i, line in lines])
    summary = ingest([clip_dir], settings)
    failed = summary.by_status("failed")
    if failed:
        raise SystemExit(f"building the quality library failed: {failed}")


def queries() -> list[dict]:
    out = []
    for i in range(len(qs.LINES)):
        split = "calibrate" if i % 2 == 0 else "evaluate"
        out.append({"q": qs.KOREAN[i], "kind": "korean", "line": i, "split": split})
        out.append({"q": qs.ENGLISH[i], "kind": "english", "line": i, "split": split})
        if i in qs.QUOTED:
            out.append({"q": qs.QUOTED[i], "kind": "quoted", "line": i, "split": split})
    half = len(qs.UNRELATED) // 2
    for j, q in enumerate(qs.UNRELATED):
        out.append({"q": q, "kind": "unrelated", "line": None, "split": "calibrate" if j < half else "evaluate"})
    return out


def shot_of(searcher: Searcher, hit) -> tuple[str, int]:
    r = searcher.lib.catalog.by_id("shots", [hit.shot_id])[hit.shot_id]
    return Path(hit.video).name, r["idx"]


def run_queries(searcher: Searcher, qlist: list[dict]) -> list[dict]:
    rows = []
    for item in qlist:
        res = searcher.search(item["q"], top_k=5)
        ranked = [shot_of(searcher, h) for h in res.hits]
        gold = qs.answer(item["line"]) if item["line"] is not None else None
        rank = ranked.index(gold) + 1 if gold in ranked else None
        top = res.hits[0] if res.hits else None
        rows.append({**item, "rank": rank, "top_dialogue": (top.scores.get("dialogue") if top else None),
                     "top_correct": rank == 1, "latency_ms": res.timings_ms["total_ms"]})
    return rows


def metrics(rows: list[dict]) -> dict:
    n = len(rows)
    if not n:
        return {}
    return {
        "n": n,
        "R@1": round(sum(r["rank"] == 1 for r in rows) / n, 3),
        "R@5": round(sum(r["rank"] is not None for r in rows) / n, 3),
        "MRR": round(sum(1 / r["rank"] for r in rows if r["rank"]) / n, 3),
    }


def fit_threshold(pos: list[float], neg: list[float]) -> tuple[float, float]:
    """Threshold with the best balanced accuracy (midpoint between neighbouring scores)."""
    cands = sorted(set(pos + neg))
    mids = [(a + b) / 2 for a, b in zip(cands, cands[1:])] or cands
    best = max(
        mids,
        key=lambda t: (sum(p >= t for p in pos) / len(pos) + sum(x < t for x in neg) / len(neg)) / 2,
    )
    acc = (sum(p >= best for p in pos) / len(pos) + sum(x < best for x in neg) / len(neg)) / 2
    return best, acc


def korean_pairs(embedder) -> dict[str, tuple[list[float], list[float]]]:
    """ko>ko samples straight from the text embedder: each Korean line against its paraphrase
    (positives) and unrelated Korean queries' best score against the lines (negatives)."""
    lines = [d for d, _ in qs.KOREAN_DIALOGUE]
    p = embedder.embed_passages(lines)
    q = embedder.embed_queries([q for _, q in qs.KOREAN_DIALOGUE])
    neg_q = embedder.embed_queries([u for u in qs.UNRELATED if query_language(u) == "ko"])
    sims = q @ p.T
    out = {}
    for split, parity in (("calibrate", 0), ("evaluate", 1)):
        idx = [i for i in range(len(lines)) if i % 2 == parity]
        pos = [float(sims[i, i]) for i in idx if int(sims[i].argmax()) == i]
        half = len(neg_q) // 2
        nq = neg_q[:half] if parity == 0 else neg_q[half:]
        neg = [float((v @ p.T).max()) for v in nq]
        out[split] = (pos, neg)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", action="store_true", help="fit and write the dialogue threshold")
    args = ap.parse_args()
    settings = Settings.from_env().with_overrides(db_dir=WORK / "quality" / "db")
    build(settings)
    qlist = queries()

    # 1. ranking quality, with abstention off (an empty calibration keeps every hit)
    searcher = Searcher(settings)
    searcher.calibration = {}
    report = {"channels": searcher.channels, "by_kind": {}, "per_channel": {}}
    answerable = [q for q in qlist if q["line"] is not None]
    rows = run_queries(searcher, answerable)
    for kind in ("korean", "english", "quoted"):
        report["by_kind"][kind] = metrics([r for r in rows if r["kind"] == kind])
    report["fused"] = metrics(rows)
    for ch, state in searcher.channels.items():
        if state != "on":
            report["per_channel"][ch] = f"not measured: {state}"
            continue
        weights = {f"weight_{c}": (1.0 if c == ch else 0.0) for c in ("visual", "dialogue", "caption")}
        searcher.settings = settings.with_overrides(**weights)
        report["per_channel"][ch] = metrics(run_queries(searcher, answerable)) or "no vectors"
    searcher.settings = settings
    unrelated_rows = run_queries(searcher, [q for q in qlist if q["line"] is None])

    # 2. confidence thresholds on the dialogue model's raw similarity, per language pair
    identity = searcher.lib.channel_stamp("dialogue").model
    lang = {"korean": "ko", "english": "en"}
    samples = {}  # pair -> split -> (positives, negatives)
    for pair, qlang in (("ko>en", "ko"), ("en>en", "en")):
        for split in ("calibrate", "evaluate"):
            pos = [r["top_dialogue"] for r in rows
                   if r["split"] == split and lang.get(r["kind"]) == qlang and r["top_correct"]]
            neg = [r["top_dialogue"] or 0.0 for r in unrelated_rows
                   if r["split"] == split and query_language(r["q"]) == qlang]
            samples.setdefault(pair, {})[split] = (pos, neg)
    samples["ko>ko"] = korean_pairs(searcher.engines.text)
    fitted = {pair: fit_threshold(*sp["calibrate"]) for pair, sp in samples.items()}
    if args.calibrate:
        data = json.loads(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.exists() else {"thresholds": {}}
        data["thresholds"][identity] = {
            "pairs": {pair: round(t, 4) for pair, (t, _) in fitted.items()},
            "balanced_accuracy_on_calibration_split": {pair: round(a, 3) for pair, (_, a) in fitted.items()},
            "made_by": "python bench/quality.py --calibrate",
        }
        CALIBRATION_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    current = load_calibration().get(identity, {})
    report["abstention"] = {"model": identity}
    for pair, sp in samples.items():
        t = current.get(pair, fitted[pair][0])
        pos, neg = sp["evaluate"]
        report["abstention"][pair] = {
            "threshold": round(t, 4),
            "calibration_balanced_accuracy": round(fitted[pair][1], 3),
            "held_out_unrelated_abstained": f"{sum(x < t for x in neg)}/{len(neg)}",
            "held_out_answerable_kept": f"{sum(p >= t for p in pos)}/{len(pos)}",
        }
    misses = [f"{r['kind']}: {r['q']} (rank {r['rank']})" for r in rows if r["rank"] != 1]
    report["misses_at_1"] = misses
    searcher.close()

    k = report["by_kind"]
    md = ["# Retrieval quality (bench/quality.py)", "",
          f"Library: {len(qs.LINES)} spoken lines in {len(qs.clips())} clips (espeak-ng English, transcribed by "
          f"the offline Whisper base); channels: {report['channels']}.", "",
          "| queries | n | R@1 | R@5 | MRR |", "|---|---|---|---|---|"]
    for kind in ("korean", "english", "quoted"):
        md.append(f"| {kind} -> English dialogue | {k[kind]['n']} | {k[kind]['R@1']} | {k[kind]['R@5']} | {k[kind]['MRR']} |")
    f = report["fused"]
    md.append(f"| all, fused | {f['n']} | {f['R@1']} | {f['R@5']} | {f['MRR']} |")
    md += ["", "Per channel: " + "; ".join(f"{ch}: {v}" for ch, v in report["per_channel"].items()), "",
           f"No-confident-match thresholds for {identity} (fitted on the even-numbered lines, judged on the odd ones "
           f"and on held-out unrelated queries):", "",
           "| query>dialogue | threshold | unrelated abstained | answerable kept |", "|---|---|---|---|"]
    for pair in ("ko>en", "en>en", "ko>ko"):
        a = report["abstention"][pair]
        md.append(f"| {pair} | {a['threshold']} | {a['held_out_unrelated_abstained']} | {a['held_out_answerable_kept']} |")
    md += [
           "", "Misses at rank 1: " + ("; ".join(misses) if misses else "none")]
    write_results("quality", report, "\n".join(md))


if __name__ == "__main__":
    main()
