"""Faces: who is in a shot. During ingest's decode a frame just after every cut, and every ``faces_every_s``
within a shot, is searched for faces (``models/faces.py``), in its own thread; within a shot the same person is one track (descriptors within
``TRACK_DISTANCE`` of the track's mean), kept with its box, size, time and a small crop. Searched by a
photo (``search --face PHOTO``): the shots whose tracks are nearest to the photo's face."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np

from modules.channels.base import (Channel, ChannelMatch, IngestJob, Produced, QueryContext, Reader, Row, Scan,
                                   best_per_shot)

TRACK_DISTANCE = 0.45  # a face joins a track of its shot when this near its mean (dlib's scale; one person < 0.35)
CROP_SIDE = 96  # the face crop kept for the People page and the hit cards
# Two looks this alike (mean absolute difference of 64x36 grey sketches, 0-255) show one shot with little motion.
# On the 6-minute film of bench/faces.py, looks 2 s apart in one shot differed by 3-32 (median 12); across a
# cut by 20-113.
STILL = 8.0
# A face found where a face of the last look was, overlapping it this much, is that face
KEEP_OVERLAP = 0.5
# A shot is looked at this long after its cut (past the middle of a dissolve), then every faces_every_s
CUT_SETTLE_S = 0.2


class _FaceReader(Reader):
    wants_frames = True

    def __init__(self, job: IngestJob):
        from modules.frame_looks import FrameSampler

        self._engines, self._every = job.engines, job.settings.faces_every_s
        self._seen: list[tuple[float, object, np.ndarray]] = []  # (time, Face, crop)
        self._last: tuple[np.ndarray, list] | None = None  # the last look: its sketch and faces
        # a video narrower than faces_width is enlarged to it: faces are looked for at that width
        self._sampler = FrameSampler(self._look, self._every, job.settings.faces_width, "faces", enlarge=True)

    def offer(self, t_s: float, frame) -> None:
        self._sampler.offer(t_s, frame)

    def cut(self, start_s: float) -> None:
        # every shot is looked at, however short: films cut faster than any clock
        self._sampler.look_from(start_s + CUT_SETTLE_S)

    def _look(self, t: float, rgb: np.ndarray) -> None:
        from modules.frame_looks import grey_thumb

        model = self._engines.faces
        sketch = grey_thumb(rgb, (64, 36))
        # the picture barely changed since the last look (no cut, little motion): a face in the same
        # place is the same person, and keeps the descriptor it had
        still = self._last is not None and float(np.abs(self._last[0] - sketch).mean()) < STILL
        found = model.faces(rgb, reuse=_kept_from(self._last[1]) if still else None) if model is not None else []
        self._last = (sketch, found)
        for face in found:
            self._seen.append((t, face, _crop(rgb, face.box)))

    def finish(self, scan: Scan) -> Produced:
        t = time.perf_counter()
        self.close()
        error = self._sampler.error
        out = Produced(timings_s={"faces_wait_s": time.perf_counter() - t, "faces_s": self._sampler.seconds})
        if error is not None:
            out.warnings.append(f"faces skipped: {type(error).__name__}: {error}")
            return out
        model = self._engines.faces
        if model is None:
            return out
        rows, vecs = tracks(self._seen, scan.shots, self._every)
        out.rows, out.vectors, out.by = rows, {"": vecs}, model.identity
        return out

    def close(self) -> None:
        self._sampler.close()


def _kept_from(known: list):
    """For a face found at ``box``: the descriptor of the last look's face most overlapping it, when by
    KEEP_OVERLAP at least, else None."""
    from modules.frame_looks import box_iou

    def reuse(box):
        same = max(known, key=lambda k: box_iou(k.box, box), default=None)
        return same.descriptor if same is not None and box_iou(same.box, box) >= KEEP_OVERLAP else None

    return reuse


def tracks(seen, shots, every_s: float) -> tuple[list[Row], np.ndarray]:
    """Each shot's faces as tracks: a face joins the nearest track of its shot whose mean descriptor is within
    TRACK_DISTANCE, else starts one. A track keeps its largest face's box and crop and its unit mean."""
    import bisect

    from models.faces import distance
    from modules.shots import encode_jpeg

    starts = [s.start_s for s in shots]
    groups: dict[int, list[dict]] = {}
    for t, face, crop in seen:
        shot = shots[max(0, bisect.bisect_right(starts, t) - 1)]
        mine = groups.setdefault(shot.index, [])
        gap, near = min(((distance(g["mean"], face.descriptor), g) for g in mine), key=lambda p: p[0],
                        default=(None, None))
        if near is None or gap > TRACK_DISTANCE:
            near = {"shot": shot, "faces": [], "mean": face.descriptor}
            mine.append(near)
        near["faces"].append((t, face, crop))
        total = np.sum([f.descriptor for _, f, _ in near["faces"]], axis=0)
        near["mean"] = total / max(float(np.linalg.norm(total)), 1e-9)
    rows, vecs = [], []
    for g in (g for gs in groups.values() for g in gs):
        times = [t for t, _, _ in g["faces"]]
        t, big, crop = max(g["faces"], key=lambda item: item[1].size)
        rows.append(Row(g["shot"].index, min(times), min(max(times) + every_s, g["shot"].end_s), "",
                        {"box": json.dumps(big.box), "size": big.size, "seen": len(times), "crop": encode_jpeg(crop),
                         "at_s": t}))
        vecs.append(g["mean"])
    return rows, np.asarray(vecs, np.float32).reshape(-1, 128)


def query_face(model, image: np.ndarray, index: int | None = None) -> np.ndarray:
    """The descriptor of the face a search by photo asks for: the largest in ``image``, or the ``index``-th
    (1 = the leftmost). Raises BadQuery when there is no face, or no such face."""
    from modules.errors import BadQuery

    from PIL import Image

    side = max(image.shape[:2])
    if side > 800:  # the detector looks at it doubled: faces from 40 px at 800 px, in under a second
        scale = 800 / side
        image = np.asarray(Image.fromarray(image).resize((round(image.shape[1] * scale), round(image.shape[0] * scale))))
    faces = sorted(model.faces(image, upsample=1), key=lambda f: f.box[0])
    if not faces:
        raise BadQuery("no face found in the photo; give a photo where a face is at least 40 px tall and turned "
                       "towards the camera")
    if index is None:
        return max(faces, key=lambda f: f.size).descriptor
    if not 1 <= index <= len(faces):
        raise BadQuery(f"the photo has {len(faces)} face(s), from the left; --face-index must be 1 to {len(faces)}")
    return faces[index - 1].descriptor


def _crop(rgb: np.ndarray, box) -> np.ndarray:
    from PIL import Image

    left, top, right, bottom = box
    pad = (bottom - top) // 4
    h, w = rgb.shape[:2]
    part = rgb[max(0, top - pad):min(h, bottom + pad), max(0, left - pad):min(w, right + pad)]
    return np.asarray(Image.fromarray(part).resize((CROP_SIDE, CROP_SIDE)))


@dataclass(frozen=True)
class FacesChannel(Channel):
    def ddl(self) -> str:
        """Its tracks, and the people they are grouped into (``modules/people.py``): names and merges are
        kept by the person, so they survive a video's re-ingest (its tracks go to the nearest person again)."""
        return super().ddl() + (
            "CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', "
            "centroid BLOB NOT NULL);\n"
            "CREATE TABLE IF NOT EXISTS face_people (face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE "
            "CASCADE, person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE);\n")

    def stamps(self, engines):
        from modules.schema import ChannelStamp

        model = engines.faces
        return {self.name: ChannelStamp(model.identity, model.dim) if model else
                ChannelStamp(None, 0, note=engines.faces_note)}

    def reader(self, job: IngestJob) -> Reader | None:
        return _FaceReader(job) if job.settings.faces and job.engines.faces_loaded else None

    def searchable(self, library, stamps: dict, models: set[str]) -> tuple[list[str], str]:
        have = library.channel_stamp(self.name)
        if have is None or have.model is None:
            return [], f"off ({(have.note if have else '') or 'no faces in this library'})"
        return [self.name], "on"

    @property
    def row_columns(self) -> str:
        return "id, shot_id, start_s, end_s, text, norm, box, size, seen, at_s"  # not the crop

    def own_probability(self, m: ChannelMatch) -> float | None:
        from models.faces import similarity

        return similarity(m.score)

    def retrieve(self, ctx: QueryContext) -> dict[int, ChannelMatch]:
        vec = ctx.vectors.get("face", {}).get("")
        if vec is None:
            return {}
        return best_per_shot(ctx, self.name, vec, self,
                             lambda score, rid, r: ChannelMatch(score, rid, r["at_s"], r["text"] or ""))

    def evidence(self, m: ChannelMatch) -> str:
        who = f" of {m.text}" if m.text else ""
        return f"face{who}: {100 * self.own_probability(m):.0f}% the same person"


FACES = FacesChannel("faces", "face", "faces", model="faces", text_column="text", literal=False,
                     columns=(("box", "TEXT"), ("size", "INTEGER"), ("seen", "INTEGER"), ("crop", "BLOB"),
                              ("at_s", "REAL")),
                     query_part="face", how_to_fill="python main.py reindex --faces", text_order=5,
                     rows_are="face tracks")
