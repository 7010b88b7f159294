"""Semantic vectors: a static model distilled from all-MiniLM-L6-v2, numpy at run time.

The model files in ``embedding/`` were made by scripts/distil-embedding-model.py (see
``recipe.json``) and are checked against ``SHA256SUMS`` before loading. A vector is the
mean of the query's token vectors, unit length, stored as little-endian float32 bytes, so
cosine similarity is a dot product.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from exhibits.analysis.modelfiles import PinnedModel, read_manifest, verify

MODEL_DIR = Path(__file__).parent / "embedding"
_model = None
_lock = threading.Lock()


def pinned() -> PinnedModel:
    return PinnedModel("minilm-l6-v2-model2vec-256", "1", MODEL_DIR, read_manifest(MODEL_DIR / "SHA256SUMS"))


def model():
    global _model
    with _lock:
        if _model is None:
            from model2vec import StaticModel

            _model = StaticModel.from_pretrained(str(verify(pinned()).root), normalize=True)
        return _model


def encode(texts: list[str]) -> np.ndarray:
    """(n, dims) float32 unit vectors; an empty text gives a zero vector."""
    if not texts:
        return np.zeros((0, dims()), dtype=np.float32)
    vectors = model().encode(texts, show_progress_bar=False, use_multiprocessing=False)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def dims() -> int:
    return int(model().dim)


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype("<f4", copy=False).tobytes()


def from_bytes(blobs: list[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1)
