"""Assisted tracking: a box drawn on one frame, carried forwards and backwards through a clip.

Each step follows corner features inside the box with pyramidal Lucas-Kanade optical flow,
checked forwards and backwards (points that do not come back to where they started are
dropped), and moves and scales the box by the median of what remains ("median flow").
When too few points survive (blur, occlusion), it falls back to matching the region's
appearance near its last position; when that fails too, the track ends there and the
reviewer extends or adjusts it by hand. Frames are read at a working size (at most 640
pixels wide) in display orientation; backwards tracking reads the clip in chunks so a long
clip never has to be held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import Box, Track
from exhibits.redaction.media import VideoInfo, orient, probe_video

WORK_WIDTH = 640
CHUNK_SECONDS = 8.0
MIN_POINTS = 6
MATCH_THRESHOLD = 0.45
MARGIN = 0.08
REACQUIRE_SECONDS = 1.0  # how long a lost region is searched for
HOLD_AFTER_LOSS = 0.2  # how long a region that stays lost is still masked where it was last seen


@dataclass
class _State:
    box: np.ndarray  # x, y, w, h in working pixels
    template: np.ndarray


class RegionFollower:
    """Follows one region from frame to frame (working-size greyscale pictures)."""

    def __init__(self, first: np.ndarray, box: np.ndarray) -> None:
        self.state = _State(box.astype(np.float64), _crop(first, box))
        self.previous = first

    def step(self, frame: np.ndarray) -> np.ndarray | None:
        box = _median_flow(self.previous, frame, self.state.box)
        if box is None:
            box = _match(frame, self.state.template, self.state.box)
        self.previous = frame
        if box is None:
            return None
        self.state.box = box
        return box


def _crop(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    x, y, w, h = (round(v) for v in box)
    return image[max(0, y) : max(0, y) + max(2, h), max(0, x) : max(0, x) + max(2, w)].copy()


def _median_flow(previous: np.ndarray, current: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    import cv2

    x, y, w, h = box
    height, width = previous.shape[:2]
    mask = np.zeros_like(previous)
    mask[int(max(0, y)) : int(min(height, y + h)), int(max(0, x)) : int(min(width, x + w))] = 255
    points = cv2.goodFeaturesToTrack(previous, maxCorners=80, qualityLevel=0.01, minDistance=3, mask=mask)
    if points is None or len(points) < MIN_POINTS:
        return None
    params = {"winSize": (15, 15), "maxLevel": 3}
    forward, status, _ = cv2.calcOpticalFlowPyrLK(previous, current, points, None, **params)
    back, status_back, _ = cv2.calcOpticalFlowPyrLK(current, previous, forward, None, **params)
    error = np.linalg.norm(points - back, axis=2).reshape(-1)
    good = (status.reshape(-1) == 1) & (status_back.reshape(-1) == 1) & (error < 1.5)
    if good.sum() < MIN_POINTS:
        return None
    old, new = points.reshape(-1, 2)[good], forward.reshape(-1, 2)[good]
    shift = np.median(new - old, axis=0)
    i, j = np.triu_indices(len(old), k=1)
    before = np.linalg.norm(old[i] - old[j], axis=1)
    after = np.linalg.norm(new[i] - new[j], axis=1)
    usable = before > 2
    scale = float(np.median(after[usable] / before[usable])) if usable.any() else 1.0
    scale = min(1.1, max(0.9, scale))  # sizes change slowly; occluders make wild estimates
    cx, cy = x + w / 2 + shift[0], y + h / 2 + shift[1]
    return np.array([cx - w * scale / 2, cy - h * scale / 2, w * scale, h * scale])


def _match(frame: np.ndarray, template: np.ndarray, box: np.ndarray, reach: float = 1.0) -> np.ndarray | None:
    import cv2

    x, y, w, h = box
    height, width = frame.shape[:2]
    pad_x, pad_y = w * reach, h * reach
    x1, y1 = int(max(0, x - pad_x)), int(max(0, y - pad_y))
    x2, y2 = int(min(width, x + w + pad_x)), int(min(height, y + h + pad_y))
    window = frame[y1:y2, x1:x2]
    if window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1] or template.size < 16:
        return None
    scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, where = cv2.minMaxLoc(scores)
    if best < MATCH_THRESHOLD:
        return None
    return np.array([x1 + where[0], y1 + where[1], w, h], dtype=np.float64)


# --- reading the clip --------------------------------------------------------------------


def _work_size(info: VideoInfo) -> tuple[int, int]:
    if info.width <= WORK_WIDTH:
        return info.width, info.height
    return WORK_WIDTH, max(2, round(info.height * WORK_WIDTH / info.width))


def _grey_frames(
    path: Path, info: VideoInfo, start: float, stop: float
) -> Iterator[tuple[float, np.ndarray]]:
    """(time, greyscale picture) for frames with start <= time <= stop, read from a seek point."""
    import av

    width, height = _work_size(info)
    if info.rotation in (90, 270):
        width, height = height, width
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = None
        for frame in container.decode(stream):  # the first frame's time is the clip's origin
            first = frame.time or 0.0
            break
        if start > 1.0:
            container.seek(
                int((first + max(0.0, start - 1.0)) / stream.time_base), stream=stream, backward=True
            )
        else:
            container.seek(0, stream=stream)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            for frame in frames:
                if frame.time is None:
                    continue
                t = frame.time - (first or 0.0)
                if t < start - 1e-6:
                    continue
                if t > stop + 1e-6:
                    return
                picture = frame.reformat(width=width, height=height, format="gray").to_ndarray()
                yield t, orient(picture, info.rotation)


def follow_region(
    path: Path,
    at: float,
    box: Box,
    *,
    shape: str = "box",
    start: float | None = None,
    end: float | None = None,
) -> Track:
    """Track ``box`` (drawn at time ``at``) through the clip, within [start, end] when given."""
    info = probe_video(path)
    duration = info.duration or at
    if at < 0 or (info.duration and at > info.duration + 1):
        raise InvalidInput(f"the clip is {info.duration:.2f}s long; {at:.2f}s is outside it")
    lo = 0.0 if start is None else max(0.0, start)
    hi = duration if end is None else min(duration, end)
    width, height = _work_size(info)
    pixels = np.array([box.x * width, box.y * height, box.w * width, box.h * height])
    forward = _run(path, info, at, hi, pixels, width, height, backwards=False)
    backward = _run(path, info, lo, at, pixels, width, height, backwards=True)
    points = sorted({**dict(backward), **dict(forward)}.items())
    if not points:
        raise InvalidInput(f"no frame at {at:.2f}s could be read to start tracking")
    keyframes = _simplify(points, tolerance=0.04)
    normalised = tuple(
        (t, Box.parse([x / width, y / height, w / width, h / height]).grown(MARGIN))
        for t, (x, y, w, h) in keyframes
    )
    return Track(shape, points[0][0], points[-1][0], normalised)


def _run(
    path: Path,
    info: VideoInfo,
    lo: float,
    hi: float,
    pixels: np.ndarray,
    width: int,
    height: int,
    *,
    backwards: bool,
) -> list[tuple[float, np.ndarray]]:
    """Boxes per frame time from the drawn frame towards ``hi`` (or back towards ``lo``)."""
    if not backwards:
        frames = _grey_frames(path, info, lo, hi)
        return _follow(frames, pixels)
    # Backwards: read chunks ending at the drawn frame, each walked in reverse.
    results: list[tuple[float, np.ndarray]] = []
    chunk_end, box = hi, pixels
    while chunk_end > lo - 1e-6:
        chunk_start = max(lo, chunk_end - CHUNK_SECONDS)
        chunk = list(_grey_frames(path, info, chunk_start, chunk_end))
        if not chunk:
            break
        walked = _follow(iter(reversed(chunk)), box)
        results.extend(walked)
        if len(walked) < len(chunk) or chunk_start <= lo + 1e-6:
            break  # lost, or at the start
        box = walked[-1][1]
        chunk_end = chunk[0][0]
        if chunk_end <= chunk_start + 1e-6:
            break
    return results


def _follow(frames: Iterator[tuple[float, np.ndarray]], pixels: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Boxes frame by frame. When the region is lost (occluded, blurred) its last box is held for
    up to REACQUIRE_SECONDS while its appearance is searched for; found again, tracking goes on."""
    results: list[tuple[float, np.ndarray]] = []
    follower: RegionFollower | None = None
    lost_since: float | None = None
    for t, picture in frames:
        if follower is None:
            follower = RegionFollower(picture, pixels)
            results.append((t, pixels.copy()))
            continue
        box = follower.step(picture)
        if box is not None:
            lost_since = None
            results.append((t, box.copy()))
            continue
        lost_since = t if lost_since is None else lost_since
        if abs(t - lost_since) > REACQUIRE_SECONDS:
            break
        held = follower.state.box
        found = _match(picture, follower.state.template, held, reach=3.0)
        if found is not None:
            follower.state.box = found
            lost_since = None
            results.append((t, found.copy()))
        else:
            results.append((t, held.copy()))
    # A track that ended lost keeps its held boxes only up to the last time it was seen.
    while lost_since is not None and results and abs(results[-1][0] - lost_since) > 1e-9 and len(results) > 1:
        if abs(results[-1][0] - lost_since) <= HOLD_AFTER_LOSS:
            break
        results.pop()
    return results


def _simplify(points: list[tuple[float, np.ndarray]], tolerance: float) -> list[tuple[float, np.ndarray]]:
    """Keep the keyframes that linear interpolation needs, within ``tolerance`` of the box size."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    anchor = 0
    for i in range(2, len(points)):
        t0, b0 = points[anchor]
        t1, b1 = points[i]
        size = max(1.0, float(min(b0[2], b0[3])))
        for j in range(anchor + 1, i):
            tj, bj = points[j]
            f = (tj - t0) / (t1 - t0) if t1 > t0 else 0.0
            if np.abs(b0 + (b1 - b0) * f - bj).max() > tolerance * size:
                kept.append(points[i - 1])
                anchor = i - 1
                break
    kept.append(points[-1])
    return kept
