"""Tesseract OCR word boxes, for images without OCR facts and for plate reading.

tesserocr wraps its own libtesseract; the language data comes from Debian's
``tesseract-ocr-eng``. OMP_THREAD_LIMIT=1 keeps OpenMP from thrashing on small machines.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from exhibits.errors import ConfigurationError

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)
_lock = threading.Lock()


@dataclass(frozen=True)
class OcrWord:
    text: str
    conf: float
    x: int
    y: int
    w: int
    h: int


def tessdata(configured: str | None = None) -> str:
    for candidate in ([configured] if configured else []) + list(TESSDATA_CANDIDATES):
        if candidate and (Path(candidate) / "eng.traineddata").is_file():
            return candidate
    raise ConfigurationError(
        "Tesseract's English data is missing: install the Debian package tesseract-ocr-eng"
    )


@cache
def _api(path: str, psm: int, whitelist: str | None):
    import tesserocr

    api = tesserocr.PyTessBaseAPI(path=path, lang="eng", psm=psm)
    if whitelist:
        api.SetVariable("tessedit_char_whitelist", whitelist)
    return api


def read_words(image_bgr: np.ndarray, *, data: str | None = None, psm: int = 11) -> list[OcrWord]:
    """Words with boxes (pixels of ``image_bgr``); psm 11 finds sparse text anywhere in a scene."""
    import tesserocr
    from PIL import Image

    api = _api(tessdata(data), psm, None)
    with _lock:
        api.SetImage(Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1])))
        api.Recognize()
        words = []
        iterator = api.GetIterator()
        level = tesserocr.RIL.WORD
        for item in tesserocr.iterate_level(iterator, level):
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:  # an empty word
                continue
            box = item.BoundingBox(level)
            if not text or box is None:
                continue
            x1, y1, x2, y2 = box
            words.append(OcrWord(text.strip(), float(item.Confidence(level)), x1, y1, x2 - x1, y2 - y1))
        return words


def read_line(
    image_bgr: np.ndarray, *, data: str | None = None, whitelist: str | None = None
) -> tuple[str, float]:
    """One line of text (a plate crop): the text and Tesseract's mean confidence."""
    from PIL import Image

    api = _api(tessdata(data), 7, whitelist)
    with _lock:
        api.SetImage(Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1])))
        return api.GetUTF8Text().strip(), float(api.MeanTextConf())
