"""Reading video as a reviewer sees it: display orientation, exact timestamps, damaged frames
skipped with a warning rather than ending the job."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from exhibits.errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass
class VideoInfo:
    width: int  # displayed, after rotation
    height: int
    rotation: int  # degrees counter-clockwise that the display matrix asks for (0, 90, 180, 270)
    fps: float
    duration: float
    frames: int  # as the container declares (estimate)
    time_base: Fraction
    codec: str
    has_audio: bool
    warnings: list[str] = field(default_factory=list)


def _open(path: Path):
    import av

    try:
        return av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, OSError) as exc:
        raise InvalidInput(f"the video cannot be read: {exc}") from exc


def probe_video(path: Path) -> VideoInfo:
    import av

    with _open(path) as container:
        if not container.streams.video:
            raise InvalidInput("the file has no video stream")
        stream = container.streams.video[0]
        rotation = 0
        try:
            for frame in container.decode(stream):
                rotation = round(frame.rotation or 0) % 360
                break
        except av.error.FFmpegError:
            pass
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            raise InvalidInput("the video stream has no picture size")
        if rotation in (90, 270):
            width, height = height, width
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        duration = 0.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        return VideoInfo(
            width=width,
            height=height,
            rotation=rotation,
            fps=float(rate),
            duration=duration,
            frames=stream.frames or int(duration * float(rate)),
            time_base=stream.time_base or Fraction(1, 90000),
            codec=stream.codec_context.name,
            has_audio=bool(container.streams.audio),
        )


def orient(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded picture the way its display matrix asks (counter-clockwise degrees)."""
    import cv2

    if rotation == 90:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if rotation == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if rotation == 270:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    return image


@dataclass
class DecodedFrame:
    index: int
    time: float  # seconds from the stream's first frame
    pts: int | None
    image: np.ndarray | None  # BGR, display orientation


def iter_frames(
    path: Path,
    info: VideoInfo,
    warnings: list[str] | None = None,
    *,
    size: tuple[int, int] | None = None,
    want: Callable[[int], bool] | None = None,
) -> Iterator[DecodedFrame]:
    """Every decodable frame in display orientation; undecodable packets become warnings.

    ``size`` (display width, height) scales pictures while converting them; frames for which
    ``want(index)`` is false are not converted at all (their ``image`` is None).
    """
    import av

    warnings = warnings if warnings is not None else []
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = 0
        first: float | None = None
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                warnings.append(f"a damaged video packet at {_packet_time(packet):.3f}s was skipped ({exc})")
                continue
            for frame in frames:
                t = frame.time if frame.time is not None else index / info.fps
                if first is None:
                    first = t
                image = None
                if want is None or want(index):
                    image = orient(_to_bgr(frame, size, info.rotation), info.rotation)
                yield DecodedFrame(index, t - first, frame.pts, image)
                index += 1


def _to_bgr(frame, size: tuple[int, int] | None, rotation: int) -> np.ndarray:
    if size is None:
        return frame.to_ndarray(format="bgr24")
    width, height = size if rotation not in (90, 270) else (size[1], size[0])
    return frame.reformat(width=width, height=height, format="bgr24").to_ndarray()


def _packet_time(packet) -> float:
    if packet.pts is not None and packet.time_base is not None:
        return float(packet.pts * packet.time_base)
    return -1.0
