"""Query latency with warm models at 10k, 100k and 1M shots, and memory.

    python -m bench.search_speed [--sizes 10000,100000,1000000]

Each size is a real library (SQLite catalogue + FAISS indexes, built through the
library's own code) of synthetic videos: 1,000 shots a video, one keyframe
(512-d) and one dialogue line a shot, embedded by both text models (384-d e5, 512-d
USE-m), vectors drawn around 2,000 random centres so that they cluster as real
embeddings do. Queries run end to end through Searcher.search: both real text query
encoders, a text tower of the CPU preset's size (random weights, see bench/stand_ins.py),
the three FAISS searches, fusion and the catalogue look-ups of the hits. The approximate index's recall@10 against
exact search is measured on the same library.
Writes bench/results/search_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import time
from pathlib import Path

import numpy as np
import psutil

from bench.common import WORK, write_results
from bench.stand_ins import bench_visual_settings

from modules.engines import load_engines
from modules.store import Library
from modules.channels import Produced, Row
from modules.schema import Keyframe, Shot, VideoInfo, VideoResult
from modules.search import Searcher
from modules.settings import Settings
from modules.store.vector_index import VectorIndex, recall_at_k

SHOTS_PER_VIDEO = 1000
QUERIES = ["a man running through the rain at night", "비 오는 밤에 뛰어가는 남자", "the ticket office is closed",
           "소녀 머리 위의 모자가 그리핀도르라고 외친다", 'a hat shouting "Gryffindor!" on a girl', "two people arguing in a car"]


def clustered(rng, n: int, d: int, centres: np.ndarray) -> np.ndarray:
    x = centres[rng.integers(0, len(centres), n)] + 0.6 / np.sqrt(d) * rng.normal(size=(n, d)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def build(db: Path, n_shots: int, engines, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    cv = rng.normal(size=(2000, 512)).astype(np.float32)
    ct = {m.key: rng.normal(size=(2000, m.dim)).astype(np.float32) for m in engines.texts}
    t = time.perf_counter()
    with Library.open(db, create=True, writable=True) as lib:
        lib.check_models(engines.stamps(), for_write=True)
        for v in range(n_shots // SHOTS_PER_VIDEO):
            shots = [Shot(i, 4.0 * i, 4.0 * i + 4.0) for i in range(SHOTS_PER_VIDEO)]
            lib.add_video(VideoResult(
                info=VideoInfo(Path(f"/synthetic/video_{v:05d}.mp4"), 4000.0, 24.0, 1280, 720, True, "h264", 1),
                fingerprint=f"{seed:08x}{v:024x}",  # the library accepts only 32 hex digits
                shots=shots,
                keyframes=[Keyframe(i, 4.0 * i + 2.0, b"") for i in range(SHOTS_PER_VIDEO)],
                channels={
                    "visual": Produced(vectors={"": clustered(rng, SHOTS_PER_VIDEO, 512, cv)}),
                    "dialogue": Produced(
                        [Row(i, 4.0 * i, 4.0 * i + 2.0, f"line {v}-{i}", {"language": "en"}) for i in range(SHOTS_PER_VIDEO)],
                        {k: clustered(rng, SHOTS_PER_VIDEO, c.shape[1], c) for k, c in ct.items()}),
                },
            ))
        lib.save_indexes()
    return time.perf_counter() - t


def recall_vs_exact(lib: Library, channel: str, dim: int, rng) -> float | None:
    idx = lib.index(channel)
    if idx.info.kind == "flat":
        return None
    ids, vecs = lib.vectors(channel, dim)
    exact = VectorIndex.build(ids, vecs, exact_max=10**12)
    q = vecs[rng.choice(len(vecs), 200, replace=False)] + 0.3 / np.sqrt(dim) * rng.normal(size=(200, dim)).astype(np.float32)
    _, got = idx.search(q, 10)
    _, truth = exact.search(q, 10)
    return round(recall_at_k(truth, got), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    work = WORK / "search_speed"
    base = Settings.from_env().with_overrides(device="cpu", **bench_visual_settings(work, previous=True))
    engines = load_engines(base, with_asr=False)
    proc = psutil.Process()
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        settings = base.with_overrides(db_dir=work / f"lib_{n}")
        if not (settings.db_dir / "catalog.sqlite").exists():
            shutil.rmtree(settings.db_dir, ignore_errors=True)
            build_s = build(settings.db_dir, n, engines)
        else:
            build_s = None
            with Library.open(settings.db_dir, writable=True, exact_max=settings.exact_index_max) as lib:
                lib.indexes.mark_changed()  # the index kind follows the current exact-search limit
                lib.save_indexes()
        gc.collect()
        rss0 = proc.memory_info().rss
        t = time.perf_counter()
        searcher = Searcher(settings, engines)
        open_s = time.perf_counter() - t
        searcher.calibration = {}  # synthetic vectors: rank only, no abstention
        for q in QUERIES:  # warm-up
            searcher.search(q)
        lat, enc = [], []
        for _ in range(args.repeats):
            for q in QUERIES:
                r = searcher.search(q)
                lat.append(r.timings_ms["total_ms"])
                enc.append(r.timings_ms["encode_ms"])
        rss = proc.memory_info().rss
        rng = np.random.default_rng(1)
        row = {
            "shots": n,
            "index": {sp: searcher.lib.index(sp).info.kind for sp in ["visual", *searcher.spaces["dialogue"]]},
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "encode_p50_ms": round(float(np.percentile(enc, 50)), 1),
            "search_p50_ms": round(float(np.percentile(np.array(lat) - np.array(enc), 50)), 1),
            "recall_at_10": {sp: recall_vs_exact(searcher.lib, sp, searcher.lib.channel_stamp(sp).dim, rng)
                             for sp in ["visual", *searcher.spaces["dialogue"]]},
            "library_open_s": round(open_s, 2),
            "build_s": round(build_s, 1) if build_s else None,
            "index_memory_mib": round((rss - rss0) / 2**20),
            "process_rss_mib": round(rss / 2**20),
        }
        print(row, flush=True)
        rows.append(row)
        searcher.close()
        del searcher
        gc.collect()
    md = ["# Search speed (bench/search_speed.py)", "",
          "End to end per query with warm models (three query encoders + three FAISS searches + fusion + catalogue "
          "look-ups), "
          f"{len(QUERIES)} queries x {args.repeats}.", "",
          "| shots | index | p50 ms | p95 ms | of which encoding p50 | search+fusion p50 | recall@10 vs exact | index RAM MiB | process RSS MiB |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rec = ", ".join(f"{k} {v}" for k, v in r["recall_at_10"].items() if v is not None) or "exact"
        md.append(f"| {r['shots']:,} | {r['index']['visual']} | {r['p50_ms']} | {r['p95_ms']} | {r['encode_p50_ms']} | "
                  f"{r['search_p50_ms']} | {rec} | {r['index_memory_mib']} | {r['process_rss_mib']} |")
    write_results("search_speed", {"sizes": rows}, "\n".join(md))


if __name__ == "__main__":
    main()
