"""How sure a match is, and how a query is centred: read from the calibration file that
``python -m bench.quality --calibrate`` fits on labelled real speech (``calibration/calibration.json``;
``SCENE_FINDER_CALIBRATION`` names another). The product only reads it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modules import ranking

CALIBRATION_FILE = Path(__file__).resolve().parents[2] / "calibration" / "calibration.json"


def calibration_file() -> Path:
    return Path(os.environ.get("SCENE_FINDER_CALIBRATION") or CALIBRATION_FILE)


@dataclass(frozen=True)
class Centring:
    """How much of its language's mean query a text model's query loses before candidates are ranked:
    what every short Korean query shares (it scores about 0.8 against any English line in e5) stops
    deciding the order. Fitted with the curves; evidence and confidence keep the raw cosine."""

    shift: float
    means: dict[str, dict[str, np.ndarray]]  # model key -> query language -> mean query vector

    def apply(self, key: str, lang: str, vec: np.ndarray) -> np.ndarray:
        mean = self.means.get(key, {}).get(lang)
        if mean is None or not self.shift:
            return vec
        return np.ascontiguousarray(vec - self.shift * mean, dtype=np.float32)


NO_CENTRING = Centring(0.0, {})

Curves = dict[str, dict[str, ranking.Calibration]]


def read_calibration(path: Path | None = None) -> tuple[Curves, Centring]:
    """What the calibration file holds:

    - {models: {"query>text" language pair or "*": curve}}, ``models`` being the text models' keys joined
      by "+" (sorted), or a picture model's identity. Multilingual embedders score two sentences of one
      language higher than a translation pair, so curves are kept per pair; "*" (fitted on every pair)
      serves pairs that were not measured;
    - the query centring (:class:`Centring`).
    """
    path = path or calibration_file()
    if not path.exists():
        return {}, NO_CENTRING
    data = json.loads(path.read_text())
    curves = {models: {pair: ranking.Calibration.from_json(c) for pair, c in pairs.items()}
              for models, pairs in data.get("curves", {}).items()}
    c = data.get("centring") or {}
    centring = Centring(float(c.get("shift", 0.0)), {key: {lang: np.asarray(v, np.float32) for lang, v in langs.items()}
                                                      for key, langs in c.get("means", {}).items()})
    return curves, centring
