"""Reading text in the picture: subtitles, title cards, signs (Korean and English).

``TextReader.read(image)`` takes one RGB uint8 frame ``(H, W, 3)`` and returns the text
lines found in it, each with the recogniser's confidence (0-100) and its box in frame
pixels. The default reader finds text boxes with a PP-OCR detector run by RapidOCR (ONNX
weights shipped in PyPI wheels) on a downscaled frame, then reads each box with
Tesseract (``kor+eng``, through ``tesserocr``, which keeps the model loaded) on an enlarged
grey crop of the full frame. Measured on rendered lines over real footage: Tesseract on
whole frames reads almost nothing, RapidOCR's own recogniser reads no Korean, the two
together read both (bench/ocr.py).

Detection is most of the cost. PP-OCRv4's mobile detector (4.7 MB, in the
``rapidocr-onnxruntime`` wheel) on a 736 px copy finds as many of bench/ocr.py's lines as
``rapidocr``'s own PP-OCRv6 small detector did on the 864x480 copy it made of a frame, at
0.6x the time; without that wheel the bundled detector is used at the same size.

Most frames of a film hold no text, so the same detector first looks at a 384 px copy (a
quarter of the time): only where it finds a box does the 736 px pass run. On bench/ocr.py's
tuning windows it fired on every frame with a line, a 24 px corner sign alone included; on
6 minutes of film footage on 10% of the frames.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from models.weights import WeightsUnavailable

log = logging.getLogger(__name__)

TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata")
LANGS = "kor+eng"
MAX_BOXES = 8  # read at most this many text boxes a frame, largest first
MIN_BOX_PX = 10  # boxes lower than this (in frame pixels) are too small to read reliably
SURE = 90.0  # a reading this confident is kept without trying the other renderings of the crop
_THIN = set("iIl1jJtfr")  # strokes that stripes and foliage are misread as
_EDGE_NOISE = " |\\/—–-_~`'\".,:;[](){}"


@dataclass(frozen=True)
class ReadLine:
    text: str
    confidence: float  # the recogniser's mean word confidence, 0-100
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the frame's pixels


class TextReader(Protocol):
    identity: str

    def read(self, image: np.ndarray) -> list[ReadLine]: ...


class RapidTesseractReader:
    """PP-OCR text detection (RapidOCR, ONNX) + Tesseract recognition of each box."""

    def __init__(self, detector, api, detector_name: str, min_confidence: float, gate=None):
        self._detector = detector  # RapidOCR, set to scale a frame to its detect side (long side)
        self._gate = gate  # the same detector on a smaller copy: does the frame hold any text at all?
        self._api = api  # one tesserocr API: not shared between threads
        self.min_confidence = min_confidence
        self.identity = f"rapidocr-det:{detector_name}+tesseract:{LANGS}"

    def boxes(self, image: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Text boxes, in the image's pixels, found on a copy scaled to the detect side on its long side
        (where the gate, on a smaller copy, finds any text)."""
        h, w = image.shape[:2]
        if self._gate is not None:
            seen = self._gate(image, use_rec=False, use_cls=False).boxes
            if seen is None or not len(seen):
                return []
        found = self._detector(image, use_rec=False, use_cls=False).boxes  # in the image's pixels
        out = []
        for quad in [] if found is None else found:
            x0, y0 = np.asarray(quad).min(0)
            x1, y1 = np.asarray(quad).max(0)
            if (x1 - x0) < 1.2 * (y1 - y0) or (y1 - y0) < MIN_BOX_PX:  # not a readable horizontal line
                continue
            out.append((max(0, int(x0)), max(0, int(y0)), min(w, int(x1) + 1), min(h, int(y1) + 1)))
        # textured pictures can yield dozens of candidates; subtitles, titles and signs are among the largest
        out.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
        return out[:MAX_BOXES]

    def read(self, image: np.ndarray) -> list[ReadLine]:
        return [line for box in self.boxes(image) if (line := self.read_box(image, box)) is not None]

    def read_box(self, image: np.ndarray, box: tuple[int, int, int, int]) -> ReadLine | None:
        """The text of one box, or None when it is not confidently text.

        Text in video comes light on dark, dark on light, outlined, on a box: the crop is read as
        grey and, until one reading is sure (confidence >= SURE), as black-on-white masks of its
        bright and of its dark pixels; the most confident reading that looks like text wins.
        """
        from PIL import Image

        x0, y0, x1, y1 = box
        pad = max(2, (y1 - y0) // 6)
        crop = image[max(0, y0 - pad): y1 + pad, max(0, x0 - pad): x1 + pad]
        best: tuple[float, str] = (-1.0, "")
        for variant in _variants(np.asarray(Image.fromarray(crop).convert("L"))):
            # Tesseract reads dark text on light best, at ~30-50 px letters
            im = Image.fromarray(variant)
            factor = max(1.0, min(4.0, 48 / max(1, im.height)))
            im = im.resize((int(im.width * factor), int(im.height * factor)), Image.BICUBIC)
            self._api.SetImage(im)
            # box borders and outlines come back as | — _ at the ends of a line
            text = " ".join(self._api.GetUTF8Text().split()).strip(_EDGE_NOISE)
            confidence = float(self._api.MeanTextConf())
            if looks_like_text(text) and confidence > best[0]:
                best = (confidence, text)
                if confidence >= SURE:
                    break
        if best[0] < self.min_confidence:
            return None
        return ReadLine(best[1], best[0], box)


def _variants(grey: np.ndarray):
    """The crop as Tesseract likes it: grey with dark text, then masks of the bright and the dark pixels."""
    yield grey if grey.mean() >= 110 else 255 - grey
    yield np.where(grey > 200, 0, 255).astype(np.uint8)  # white letters (subtitles, title cards)
    yield np.where(grey < 60, 0, 255).astype(np.uint8)  # black letters
    yield np.where(grey > grey.mean(), 0, 255).astype(np.uint8)


def looks_like_text(text: str) -> bool:
    """Whether a recognised string has the shape of words rather than texture noise:
    at least two letters or digits, mostly Hangul syllables, Latin letters, digits and spaces,
    a run of two or more letters, and (Latin alone) three letters not all thin strokes."""
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return False
    good = sum(1 for ch in text if _word_char(ch) or ch == " ")
    alnum = sum(1 for ch in text if _word_char(ch))
    if alnum < 2 or good / len(text) < 0.75:
        return False
    run = best = 0
    for ch in text:
        run = run + 1 if (_word_char(ch) and not ch.isdigit()) else 0
        best = max(best, run)
    if best < 2:
        return False
    if not any("\uac00" <= ch <= "\ud7a3" for ch in text):
        # Latin only: textures (grass, railings) come back as short runs of thin letters
        letters = [ch for ch in text if _word_char(ch)]
        return len(letters) >= 3 and not all(ch in _THIN for ch in letters)
    return True


def _word_char(ch: str) -> bool:
    return ("\uac00" <= ch <= "\ud7a3") or ch.isdigit() or ("a" <= ch.lower() <= "z")


def find_tessdata() -> Path | None:
    env = os.environ.get("TESSDATA_PREFIX")
    for d in ([env] if env else []) + list(TESSDATA_DIRS):
        p = Path(d)
        if all((p / f"{lang}.traineddata").exists() for lang in LANGS.split("+")):
            return p
    return None


def mobile_detector() -> Path | None:
    """PP-OCRv4's mobile text detector, from the rapidocr-onnxruntime wheel (found, not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "models" / "ch_PP-OCRv4_det_infer.onnx"
        if path.is_file():
            return path
    return None


def load_text_reader(detect_side: int = 736, min_confidence: float = 70.0, threads: int = 0,
                     gate_side: int = 384) -> RapidTesseractReader:
    """``gate_side``: the long side of the copy that decides whether a frame is searched for text at
    ``detect_side`` (0: every frame is). Raises WeightsUnavailable (with the install step) when a part is missing."""
    tessdata = find_tessdata()
    if tessdata is None:
        raise WeightsUnavailable(
            "Tesseract's Korean and English data are not installed; install them with: "
            "sudo apt-get install tesseract-ocr-kor tesseract-ocr-eng (setup.sh does this), "
            "or set TESSDATA_PREFIX to a folder with kor.traineddata and eng.traineddata"
        )
    try:
        import tesserocr
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise WeightsUnavailable(f"{exc.name} is not installed; run: pip install -r requirements.txt") from exc
    params = {
        "Global.log_level": "error",  # it warns on every frame without text
        # "max": the long side is scaled down to detect_side (RapidOCR's default, "min", scales the
        # short side *up* to it: a 1280x720 frame was detected at 864x480 when asked for 480)
        "Det.limit_type": "max",
        "Det.limit_side_len": detect_side,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
        # rapidocr turns onnxruntime's memory arena off: every frame then maps its buffers afresh
        # (0.78 M page faults for 90 frames, 2 s of system time); with it on, 0.15 M and ~20% faster
        "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
    }
    mobile = mobile_detector()
    if mobile is not None:
        params["Det.model_path"] = str(mobile)
    else:
        log.info("rapidocr-onnxruntime is not installed: finding text with rapidocr's own detector (slower)")
    detector = RapidOCR(params=params)
    gate = None
    if 0 < gate_side < detect_side:
        gate = RapidOCR(params={**params, "Det.limit_side_len": gate_side})
    api = tesserocr.PyTessBaseAPI(path=str(tessdata) + os.sep, lang=LANGS, psm=tesserocr.PSM.SINGLE_LINE)
    name = "PP-OCRv4-mobile" if mobile is not None else "PP-OCRv6-small"
    name += f"@{detect_side}" + (f"/gate{gate_side}" if gate is not None else "")
    return RapidTesseractReader(detector, api, name, min_confidence, gate)
