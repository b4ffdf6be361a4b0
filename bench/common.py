"""Helpers shared by the benchmarks: where they work, and how they write their figures."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"  # generated clips and libraries; ignored by git
RESULTS = ROOT / "bench" / "results"



def commit() -> str:
    """The commit the figures were taken on ("+changes" when the code in the working tree differed from it;
    documentation and results files do not count)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "main.py", "modules",
                                "models", "pages", "bench/*.py", "requirements*.txt"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def machine() -> dict:
    import psutil

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def write_results(name: str, figures: dict, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = {"machine": machine(), "commit": COMMIT, **figures}
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + f"\n\nMachine: {figures['machine']}; commit {figures['commit']}\n")
    print(markdown)
    return path


# taken when a benchmark starts: what it writes as it runs (modules/calibration.json) does not count
COMMIT = commit()
