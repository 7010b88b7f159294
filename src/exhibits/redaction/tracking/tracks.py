"""Link per-frame detections into tracks that cover a face in every frame it is visible.

Detection runs on every Nth frame, and a detector can miss a face for a frame or two.
Redaction is offline, so we can look both ways: detections are linked greedily by overlap
(or by centre distance for small, fast faces), gaps up to ``max_gap`` seconds are bridged
by interpolation, and each track is held a little beyond its first and last detection
(the frames the detector skipped), with its boxes grown by a margin that covers motion
between keyframes. Recall is what matters: a false region costs a reviewer one click.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exhibits.redaction.domain import Box, Track, union


@dataclass
class Detection:
    time: float
    box: Box  # normalised
    score: float


@dataclass
class _Open:
    detections: list[Detection] = field(default_factory=list)

    @property
    def last(self) -> Detection:
        return self.detections[-1]


def iou(a: Box, b: Box) -> float:
    x1, y1 = max(a.x, b.x), max(a.y, b.y)
    x2, y2 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


def _affinity(a: Box, b: Box) -> float:
    """How likely two boxes are the same face: overlap, or nearby centres of similar size."""
    overlap = iou(a, b)
    if overlap > 0:
        return overlap
    ax, ay, bx, by = a.x + a.w / 2, a.y + a.h / 2, b.x + b.w / 2, b.y + b.h / 2
    scale = max(a.w, a.h, b.w, b.h)
    distance = ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5
    similar = min(a.w, b.w) / max(a.w, b.w) > 0.5
    return 0.01 if similar and distance < scale else 0.0


def link(
    frames: list[tuple[float, list[Detection]]],
    *,
    max_gap: float,
    hold: float,
    margin: float,
    min_detections: int = 1,
    duration: float | None = None,
) -> list[tuple[Track, float]]:
    """Tracks (with their best score) from detections grouped by frame time, in time order."""
    open_tracks: list[_Open] = []
    closed: list[_Open] = []
    for time, detections in frames:
        still_open = []
        for track in open_tracks:
            (still_open if time - track.last.time <= max_gap else closed).append(track)
        open_tracks = still_open
        pairs = sorted(
            (
                (_affinity(track.last.box, det.box), ti, di)
                for ti, track in enumerate(open_tracks)
                for di, det in enumerate(detections)
            ),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        for affinity, ti, di in pairs:
            if affinity <= 0 or ti in used_tracks or di in used_dets:
                continue
            open_tracks[ti].detections.append(detections[di])
            used_tracks.add(ti)
            used_dets.add(di)
        for di, det in enumerate(detections):
            if di not in used_dets:
                open_tracks.append(_Open([det]))
    closed.extend(open_tracks)
    tracks = []
    for group in closed:
        if len(group.detections) < min_detections:
            continue
        dets = group.detections
        start = max(0.0, dets[0].time - hold)
        end = dets[-1].time + hold
        if duration is not None:
            end = min(end, max(duration, dets[-1].time))
        # Each keyframe covers its neighbours' boxes too: motion between detections and a box that
        # shrinks for a frame (a face half hidden) are then still masked in full.
        keyframes = [
            (d.time, union([n.box for n in dets[max(0, i - 1) : i + 2]]).grown(margin))
            for i, d in enumerate(dets)
        ]
        # Beyond the first and last detection the face keeps moving: cover both where it was
        # and where its motion would take it.
        if end > dets[-1].time:
            keyframes.append((end, _reach(dets[-2:] if len(dets) > 1 else dets, end).grown(margin)))
        if start < dets[0].time:
            keyframes.insert(0, (start, _reach(dets[1::-1] if len(dets) > 1 else dets, start).grown(margin)))
        tracks.append((Track("ellipse", start, end, tuple(keyframes)), max(d.score for d in dets)))
    tracks.sort(key=lambda t: t[0].start)
    return tracks


def _reach(pair: list[Detection], time: float) -> Box:
    """The union of the nearest detection's box and its position extrapolated to ``time``."""
    last = pair[-1]
    if len(pair) < 2 or pair[1].time == pair[0].time:
        return last.box
    first = pair[0]
    f = (time - last.time) / (last.time - first.time)
    moved = Box(
        last.box.x + (last.box.x - first.box.x) * f,
        last.box.y + (last.box.y - first.box.y) * f,
        max(1e-4, last.box.w + (last.box.w - first.box.w) * f),
        max(1e-4, last.box.h + (last.box.h - first.box.h) * f),
    )
    return union([last.box, moved])
