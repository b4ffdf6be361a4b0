"""People: the library's face tracks grouped into persons, named once, then found by name.

``group_people`` puts each track no person has yet with the nearest person (centroid within
``JOIN_DISTANCE``), and groups the rest among themselves (scikit-learn's agglomerative clustering,
average linkage, cut at ``GROUP_DISTANCE``) into new persons. Tracks already grouped are never moved, so
names and merges stay; a re-ingested video's new tracks join the person they look like.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from models.faces import distance

GROUP_DISTANCE = 0.45  # one person's faces were within 0.32 on real photographs; two people's 0.58 apart
JOIN_DISTANCE = 0.45


def group_people(lib) -> dict[str, int]:
    """Group the tracks that have no person yet; returns counts."""
    new = lib.face_tracks(unassigned=True)
    if not new:
        return {"tracks grouped": 0, "new people": 0}
    known = lib.people_centroids()
    joined: dict[int, list[int]] = {}
    rest = []
    for face_id, vec in new:
        near = min(known, key=lambda p: distance(p[2], vec), default=None)
        if near is not None and distance(near[2], vec) <= JOIN_DISTANCE:
            joined.setdefault(near[0], []).append(face_id)
        else:
            rest.append((face_id, vec))
    groups: list[tuple[int | None, list[int]]] = list(joined.items())
    for members in _clusters(rest):
        groups.append((None, members))
    lib.group_into_people(groups)
    return {"tracks grouped": len(new), "new people": sum(1 for p, _ in groups if p is None)}


def _clusters(items: list[tuple[int, np.ndarray]]) -> list[list[int]]:
    if len(items) < 2:
        return [[i for i, _ in items]] if items else []
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=GROUP_DISTANCE, linkage="average",
                                     metric="euclidean").fit_predict(np.stack([v for _, v in items]))
    out: dict[int, list[int]] = {}
    for (face_id, _), label in zip(items, labels):
        out.setdefault(int(label), []).append(face_id)
    return list(out.values())


# Korean particles that may follow a name: "지민이 우산을 펴는 장면", "지민의 방"
_PARTICLES = ("이", "가", "은", "는", "을", "를", "의", "와", "과", "도", "에게", "한테", "이랑", "랑")


def named_in(query: str, people: list[tuple[int, str]]) -> tuple[int, str, str] | None:
    """(person id, name, the query without the name) for the longest person's name the query mentions."""
    text = unicodedata.normalize("NFC", query)
    for pid, name in sorted(people, key=lambda p: -len(p[1])):
        name = unicodedata.normalize("NFC", name.strip())
        if not name:
            continue
        m = re.search(rf"(?<![\w]){re.escape(name)}(?:{'|'.join(_PARTICLES)})?(?![\w])", text, flags=re.IGNORECASE)
        if m:
            rest = re.sub(r"\s+", " ", text[:m.start()] + " " + text[m.end():]).strip(" ,.")
            return pid, name, rest
    return None
