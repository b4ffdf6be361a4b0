"""How soon the app is usable, in a real browser: first visit to a query box that takes input, query to first
hit, Play to the first frame playing.

    python -m bench.page_timing [--rounds 3]

The app (``main.py app``) serves a library of three real videos (film-like footage with real recorded speech,
bench/real_speech.py) with the picture channel's stand-in (random weights, the preset's architecture) and both
text models; Debian's Chromium drives it headless. A cold visit is the first after the server started (the
models load); warm visits reload the page on the same server. Targets: a usable query box under 2 s, the first
hit under 1 s warm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from bench.common import ROOT, WORK, write_results
from bench.stand_ins import bench_visual_settings

HERE = WORK / "page_timing"
QUERIES = ("매표소가 오늘 문을 닫았대", "the mailbox is full", "비밀번호가 틀렸다는 안내")


def library() -> dict:
    from bench.real_speech import compose
    from bench.real_speech_set import videos
    from modules.ingest import ingest
    from modules.settings import Settings

    env = {"SCENE_FINDER_DB_DIR": str(HERE / "db"), "SCENE_FINDER_OFFLINE": "1", "SCENE_FINDER_DEVICE": "cpu",
           **{f"SCENE_FINDER_{k.upper()}": str(v) for k, v in bench_visual_settings(HERE).items()}}
    if not (HERE / "db" / "catalog.sqlite").exists():
        files = [compose(name, lines, 720, seed=i)[0] for i, (name, lines) in enumerate(list(videos().items())[:3])]
        ingest(files, Settings.from_env({**os.environ, **env}))
    return env


def serve(env: dict) -> tuple[str, subprocess.Popen]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "app", "--port", str(port)], cwd=HERE,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return url, proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the app did not start")


def visit(page, url: str, query: str) -> dict:
    import re

    from playwright.sync_api import expect

    t = time.perf_counter()
    page.goto(url)
    box = page.get_by_label("Describe the scene, in Korean or English")
    expect(box).to_be_editable(timeout=300_000)
    box_s = time.perf_counter() - t
    box.fill(query)
    t = time.perf_counter()
    box.press("Enter")
    first = page.get_by_role("button", name=re.compile("Play from")).first
    expect(first).to_be_visible(timeout=120_000)
    hit_s = time.perf_counter() - t
    t = time.perf_counter()
    first.click()
    page.wait_for_function("() => { const v = document.querySelector('video'); return !!v && !v.error && "
                           "v.readyState >= 2 && v.currentTime > 0; }", timeout=120_000)
    return {"query_box_s": round(box_s, 2), "first_hit_s": round(hit_s, 2), "first_frame_s": round(time.perf_counter() - t, 2)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is missing: ./setup.sh --dev installs it")
    env = library()
    rows = []
    for r in range(args.rounds):
        url, proc = serve(env)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for i, q in enumerate(QUERIES):
                    rows.append({"round": r, "visit": "cold" if i == 0 else "warm", "query": q, **visit(page, url, q)})
                    print(rows[-1], flush=True)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)

    def best(kind: str, key: str) -> float:
        return min(x[key] for x in rows if x["visit"] == kind)

    def median(kind: str, key: str) -> float:
        vals = sorted(x[key] for x in rows if x["visit"] == kind)
        return vals[len(vals) // 2]

    md = ["# Page timing (bench/page_timing.py)", "",
          "Headless Chromium against `main.py app` on this machine; a library of 3 real videos; seconds, median "
          f"(best) of {args.rounds} servers.", "",
          "| visit | usable query box | query to first hit | Play to first frame |", "|---|---|---|---|"]
    for kind in ("cold", "warm"):
        md.append(f"| {kind} | {median(kind, 'query_box_s')} ({best(kind, 'query_box_s')}) | "
                  f"{median(kind, 'first_hit_s')} ({best(kind, 'first_hit_s')}) | "
                  f"{median(kind, 'first_frame_s')} ({best(kind, 'first_frame_s')}) |")
    write_results("page_timing", {"rows": rows}, "\n".join(md))


if __name__ == "__main__":
    main()
