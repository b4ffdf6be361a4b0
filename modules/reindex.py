"""Re-embed a whole library with the configured models (after a model change).

Keyframes are re-embedded from their stored thumbnails and dialogue and captions
from their stored text, so no video is decoded again. Each channel is replaced in
one transaction with its new manifest stamp.
"""

from __future__ import annotations

import logging

import numpy as np

from modules.engines import load_engines
from modules.library import Library
from modules.settings import Settings
from modules.shots import decode_jpeg

log = logging.getLogger(__name__)
BATCH = 256


def reindex(settings: Settings) -> dict[str, int]:
    engines = load_engines(settings, with_asr=False)
    stamps = engines.stamps()
    counts = {}
    with Library.open(settings.db_dir, writable=True, exact_max=settings.exact_index_max) as lib:
        rows = lib.rows("SELECT id, thumb FROM keyframes ORDER BY id")
        if engines.visual is not None:
            vecs = []
            for i in range(0, len(rows), BATCH):
                images = [decode_jpeg((settings.db_dir / r["thumb"]).read_bytes()) for r in rows[i : i + BATCH]]
                vecs.append(engines.visual.encode_images(images))
            flat = np.concatenate(vecs) if vecs else np.zeros((0, engines.visual.dim), np.float32)
            lib.replace_vectors("visual", zip([r["id"] for r in rows], flat), stamps["visual"])
        else:
            lib.replace_vectors("visual", ((r["id"], None) for r in rows), stamps["visual"])
        counts["keyframes"] = len(rows) if engines.visual is not None else 0
        for channel, sql in (("dialogue", "SELECT id, text FROM segments ORDER BY id"),
                             ("caption", "SELECT id, caption_en AS text FROM shots WHERE caption IS NOT NULL ORDER BY id")):
            rows = lib.rows(sql)
            vecs = engines.text.embed_passages([r["text"] or "" for r in rows])
            lib.replace_vectors(channel, zip([r["id"] for r in rows], vecs), stamps[channel])
            counts[channel] = len(rows)
        lib.save_indexes()
    return counts

