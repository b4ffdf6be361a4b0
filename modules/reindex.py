"""Re-embed a whole library with the configured models (after a model change), and repair it.

Keyframes are re-embedded from their stored thumbnails and dialogue, text on screen and captions
from their stored text, so no video is decoded again and no speech is recognised again. Afterwards
the library keeps exactly the configured text models: one added to the configuration gains its
vectors (``reindex --text`` does only that part, in seconds), one taken out loses them. A thumbnail that is missing
or unreadable is cut again from its video at the keyframe's time; where the video is
gone too, the keyframe keeps its vector when the model is unchanged and loses it
otherwise (and is counted). Each channel is replaced in one transaction with its new
manifest stamp.
"""

from __future__ import annotations

import logging
from itertools import groupby

import numpy as np

from modules.channels import SCREEN, space, text_channels
from modules.engines import load_engines
from modules.store import Library
from modules.schema import ChannelStamp
from modules.settings import Settings
from modules.shots import decode_jpeg, encode_jpeg
from modules.transcripts import dialogue_vectors

log = logging.getLogger(__name__)
BATCH = 256


def reindex(settings: Settings, text_only: bool = False) -> dict[str, int]:
    """Returns counts: rows re-embedded per channel, thumbnails restored, keyframes left without a picture.
    ``text_only``: the text channels alone (the pictures keep their vectors)."""
    engines = load_engines(settings, with_asr=False, with_visual=not text_only)
    stamps = engines.stamps()
    counts: dict[str, int] = {}
    with Library.open(settings.db_dir, writable=True, exact_max=settings.exact_index_max) as lib:
        lib.repair()
        if not text_only:
            _reindex_pictures(lib, engines, stamps, settings, counts)
        _reindex_texts(lib, engines, counts)
        lib.save_indexes()
    return counts


def _reindex_pictures(lib: Library, engines, stamps, settings: Settings, counts: dict[str, int]) -> None:
    """Every keyframe from its thumbnail (cut again from the video where it is missing)."""
    rows = lib.keyframes_with_video()
    if engines.visual is not None:
        same_model = lib.channel_stamp("visual") == stamps["visual"]
        ids, vecs, restored, lost = [], [], 0, 0
        for i in range(0, len(rows), BATCH):
            batch_ids, images = [], []
            for r in rows[i : i + BATCH]:
                image, was_restored = _keyframe_image(lib, r, settings)
                restored += was_restored
                if image is None:
                    lost += 1
                    if not same_model:  # a vector of the old model would be meaningless next to the new ones
                        ids.append(r["id"])
                        vecs.append(None)
                    continue
                batch_ids.append(r["id"])
                images.append(image)
            ids.extend(batch_ids)
            vecs.extend(engines.visual.encode_images(images) if images else [])
        lib.replace_vectors("visual", zip(ids, vecs), stamps["visual"])
        counts["keyframes"] = len(ids) - (lost if not same_model else 0)
        counts["thumbnails restored"] = restored
        if lost:
            counts["keyframes without a picture"] = lost
    else:
        lib.replace_vectors("visual", ((r["id"], None) for r in rows), stamps["visual"])
        counts["keyframes"] = 0


def _reindex_texts(lib: Library, engines, counts: dict[str, int]) -> None:
    """Every text channel in every configured text model; spaces of other models are dropped."""
    for spec in text_channels():
        name = spec.name
        if spec.in_context:
            texts = lib.texts_in_order(spec)
            groups = [[(r["start_s"], r["end_s"], r["text"]) for r in rows]
                      for _, rows in groupby(texts, key=lambda r: r["video_id"])]
        else:
            texts = lib.texts(spec)
        ids = [r["id"] for r in texts]
        for model in engines.texts:
            if spec.in_context:
                vecs = [v for items in groups for v in dialogue_vectors(model, items)]
            else:
                vecs = model.embed_passages([r["text"] or "" for r in texts])
            lib.replace_vectors(space(name, model.key), zip(ids, vecs), ChannelStamp(model.identity, model.dim))
        for old in set(lib.text_spaces(name)) - {space(name, m.key) for m in engines.texts}:
            lib.drop_space(old)
        counts[name] = len(texts)


def _keyframe_image(lib: Library, row, settings: Settings) -> tuple[np.ndarray | None, bool]:
    """(RGB image, whether it had to be cut again from the video)."""
    from pathlib import Path

    from modules.media import sample_frames

    path = lib.thumb_path(row["thumb"])
    if path is not None:
        try:
            return decode_jpeg(path.read_bytes()), False
        except (OSError, ValueError) as exc:  # PIL raises OSError/ValueError subclasses on damaged data
            log.info("thumbnail %s unreadable (%s); cutting it again from the video", row["thumb"], exc)
        try:
            t = float(row["time_s"])
            frames = sample_frames(Path(row["path"]), max(0.0, t - 0.01), t + 0.01, 1, width=settings.thumb_width)
        except Exception as exc:  # noqa: BLE001 - a moved or damaged video: the keyframe stays without a picture
            log.warning("cannot restore thumbnail %s: %s", row["thumb"], exc)
            return None, False
        if frames:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(encode_jpeg(frames[0]))
            except OSError as exc:
                log.warning("cannot write thumbnail %s: %s", row["thumb"], exc)
            return frames[0], True
    return None, False


def read_channel(settings: Settings, channel, progress=None) -> dict[str, int]:
    """Read with one channel every video it never read (a library built before the channel, or with it off:
    ``reindex --ocr``, ``reindex --faces``): one decode per video, the channel's reader offered its frames.
    Returns counts."""
    from pathlib import Path

    from models.weights import WeightsUnavailable
    from modules.channels import IngestJob, Scan
    from modules.media import iter_frames, probe
    from modules.schema import Shot

    engines = load_engines(settings, with_asr=False, with_visual=False, with_ocr=channel is SCREEN)
    stamps = {k: v for k, v in engines.stamps().items() if k.split(".")[0] == channel.name}
    if not stamps or any(st.model is None for st in stamps.values()):
        notes = "; ".join(st.note for st in stamps.values() if st.note) or "its model is not loaded"
        raise WeightsUnavailable(f"cannot read {channel.label}: {notes}")
    counts = {"videos read": 0, channel.rows_are: 0, "videos missing": 0}
    with Library.open(settings.db_dir, writable=True, exact_max=settings.exact_index_max) as lib:
        lib.check_models(stamps, for_write=True)  # the one channel written
        todo = lib.videos_unread(channel)
        for i, video in enumerate(todo):
            path = Path(video["path"])
            if not path.is_file():
                log.warning("%s is no longer there; its %s is not read", path, channel.label)
                counts["videos missing"] += 1
                continue
            shots = [Shot(r["idx"], r["start_s"], r["end_s"]) for r in lib.shots_of(video["id"])]
            info = probe(path)
            reader = channel.reader(IngestJob(info, engines, settings))
            if reader is None:
                raise WeightsUnavailable(f"cannot read {channel.label}: it is switched off in the settings")
            cuts = iter([s.start_s for s in shots[1:]])  # the reader hears of each cut, as in ingest
            next_cut = next(cuts, None)
            for t, frame in iter_frames(path, reference_only=settings.decode_reference_only,
                                        skip_loop_filter=settings.decode_skip_loop_filter):
                while next_cut is not None and t >= next_cut:
                    reader.cut(next_cut)
                    next_cut = next(cuts, None)
                reader.offer(t, frame)
            produced = reader.finish(Scan(info, shots, [], []))
            lib.add_rows(channel, video["id"], produced)
            counts["videos read"] += 1
            counts[channel.rows_are] += len(produced.rows)
            if progress:
                progress(i + 1, len(todo), path.name)
        lib.save_indexes()
    return counts
