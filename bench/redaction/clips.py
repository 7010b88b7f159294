"""Test clips and photos with known face and plate positions, for bench/redaction/run.py.

Faces are the astronaut photo that scikit-image ships (NASA, public domain), varied per
sprite (mirrored, brightness, colour cast, size) and composited over a generated scene;
they move, change size, and some pass behind a moving occluder. Plates are drawn UK-style
(yellow, black characters) and move across the scene. Every picture is kept above a grey
level of 40, so masked pixels (solid black in the outputs) can be told from the picture.
Ground truth is the face's own box (forehead to chin, checked by eye on the source photo),
with the part hidden by the occluder taken out.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

# The astronaut photo around her face, and the face's box inside that crop (x1, y1, x2, y2).
CROP = (150, 30, 300, 210)
FACE_IN_CROP = (34, 32, 118, 146)
PLATE_TEXTS = ["KX65 ZTL", "BD51 SMR", "LR19 HGE", "YA70 PKN"]


@dataclass
class Frame:
    faces: list[list[int]] = field(default_factory=list)  # visible part of each face: x1, y1, x2, y2
    faces_full: list[list[int]] = field(default_factory=list)  # whole face box
    covers: list[list[list[int]]] = field(default_factory=list)  # per face: rectangles drawn over it
    plates: list[list[int]] = field(default_factory=list)
    occluder: list[int] | None = None


@dataclass
class Clip:
    path: str
    width: int
    height: int
    fps: int
    frames: list[Frame]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))


def astronaut_sprites(count: int, seed: int = 1) -> list[np.ndarray]:
    from skimage import data

    base = data.astronaut()[CROP[1] : CROP[3], CROP[0] : CROP[2], ::-1].astype(np.float32)
    rng = np.random.default_rng(seed)
    sprites = []
    for i in range(count):
        sprite = base[:, ::-1] if i % 2 else base.copy()
        sprite = sprite * rng.uniform(0.75, 1.15) + rng.uniform(-15, 15, size=3)
        sprites.append(np.clip(sprite, 40, 255).astype(np.uint8))
    return sprites


def scene(width: int, height: int, seed: int) -> np.ndarray:
    """A generated street-ish background: gradient sky, blocks of 'buildings', texture."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), dtype=np.float32)
    ys = np.linspace(0, 1, height)[:, None]
    image[:] = (np.array([200, 170, 140]) * (1 - ys) + np.array([90, 100, 95]) * ys)[:, None, :][:, 0][
        :, None, :
    ]
    for _ in range(14):
        x, w = rng.integers(0, width), rng.integers(width // 12, width // 4)
        top = rng.integers(height // 5, height // 2)
        image[top:, x : x + w] = rng.uniform(70, 180, size=3)
    noise = rng.normal(0, 8, size=(height // 4 + 1, width // 4 + 1, 1))
    image += np.kron(noise, np.ones((4, 4, 1)))[:height, :width]
    return np.clip(image, 40, 255).astype(np.uint8)


def _plate(text: str, width: int) -> np.ndarray:
    import cv2

    height = round(width * 111 / 520)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:] = (20, 200, 250)
    scale = width / 190
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, 2)
    cv2.putText(
        image,
        text,
        ((width - tw) // 2, (height + th) // 2),
        cv2.FONT_HERSHEY_DUPLEX,
        scale,
        (0, 0, 0),
        2,
        cv2.LINE_AA,
    )
    image[image < 40] = 40
    return image


def _paste(canvas: np.ndarray, sprite: np.ndarray, x: int, y: int) -> tuple[int, int, int, int] | None:
    h, w = sprite.shape[:2]
    H, W = canvas.shape[:2]
    x1, y1, x2, y2 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x2 <= x1 or y2 <= y1:
        return None
    canvas[y1:y2, x1:x2] = sprite[y1 - y : y2 - y, x1 - x : x2 - x]
    return x1, y1, x2, y2


def make_clip(
    path: Path,
    width: int,
    height: int,
    seconds: float,
    fps: int = 25,
    faces: int = 8,
    plates: int = 2,
    seed: int = 5,
) -> Clip:
    import av
    import cv2

    rng = np.random.default_rng(seed)
    sprites = astronaut_sprites(faces, seed)
    background = scene(width, height, seed)
    unit = width / 1280  # sizes are given for 720p and scaled
    movers = []
    for i in range(faces):
        face_px = rng.uniform(32, 100) * unit  # face width in pixels at 720p: 32..100
        movers.append(
            {
                "sprite": sprites[i],
                "scale0": face_px / (FACE_IN_CROP[2] - FACE_IN_CROP[0]),
                "grow": rng.uniform(-0.25, 0.35),
                "x": rng.uniform(0.05, 0.85) * width,
                "y": rng.uniform(0.1, 0.7) * height,
                "vx": rng.uniform(-60, 60) * unit,
                "vy": rng.uniform(-20, 20) * unit,
            }
        )
    plate_movers = [
        {
            "text": PLATE_TEXTS[i % len(PLATE_TEXTS)],
            "w": rng.uniform(120, 220) * unit,
            "x": rng.uniform(0.1, 0.6) * width,
            "y": rng.uniform(0.75, 0.85) * height,
            "vx": rng.uniform(30, 80) * unit * (1 if i % 2 else -1),
        }
        for i in range(plates)
    ]
    frames: list[Frame] = []
    count = int(seconds * fps)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for n in range(count):
            t = n / fps
            image = background.copy()
            truth = Frame()
            sprite_rects: list[tuple[int, int, int, int]] = []
            for mover in movers:
                scale = mover["scale0"] * (1 + mover["grow"] * t / max(seconds, 1e-6))
                sprite = cv2.resize(mover["sprite"], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                x = int(_bounce(mover["x"] + mover["vx"] * t, width - sprite.shape[1]))
                y = int(_bounce(mover["y"] + mover["vy"] * t, height - sprite.shape[0]))
                placed = _paste(image, sprite, x, y)
                if placed:
                    # Sprites pasted later hide this one where they overlap it.
                    for face, covers in zip(truth.faces_full, truth.covers, strict=True):
                        if _intersects(face, placed):
                            covers.append(list(placed))
                    sprite_rects.append(placed)
                    truth.covers.append([])
                    fx1, fy1 = x + FACE_IN_CROP[0] * scale, y + FACE_IN_CROP[1] * scale
                    fx2, fy2 = x + FACE_IN_CROP[2] * scale, y + FACE_IN_CROP[3] * scale
                    truth.faces_full.append([round(fx1), round(fy1), round(fx2), round(fy2)])
            for plate in plate_movers:  # vehicles pass in front of the people
                sprite = _plate(plate["text"], int(plate["w"]))
                x = int(_bounce(plate["x"] + plate["vx"] * t, width - sprite.shape[1]))
                placed = _paste(image, sprite, x, int(plate["y"]))
                if placed:
                    truth.plates.append(list(placed))
                    for face, covers in zip(truth.faces_full, truth.covers, strict=True):
                        if _intersects(face, placed):
                            covers.append(list(placed))
            # An occluder (a passing post) hides part of whatever is behind it.
            ox = int((0.2 + 0.6 * (t / max(seconds, 1e-6))) * width)
            occluder = [ox, 0, ox + int(40 * unit), height]
            image[:, occluder[0] : occluder[2]] = (60, 60, 60)
            truth.occluder = occluder
            truth.faces = [_visible(f, occluder) for f in truth.faces_full]
            for covers in truth.covers:
                covers.append(occluder)
            frames.append(truth)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    clip = Clip(str(path), width, height, fps, frames)
    clip.save(path.with_suffix(".json"))
    return clip


def _visible(face: list[int], occluder: list[int]) -> list[int]:
    """The face box less the occluded columns (the larger visible side), or an empty box."""
    x1, y1, x2, y2 = face
    ox1, _, ox2, _ = occluder
    if ox2 <= x1 or ox1 >= x2:
        return face
    left, right = max(0, ox1 - x1), max(0, x2 - ox2)
    if left >= right:
        return [x1, y1, x1 + left, y2]
    return [ox2, y1, x2, y2]


def _intersects(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _bounce(value: float, limit: float) -> float:
    if limit <= 0:
        return 0.0
    period = 2 * limit
    value = math.fmod(abs(value), period)
    return value if value <= limit else period - value


def make_photo(path: Path, width: int = 4000, height: int = 3000, faces: int = 6, seed: int = 11) -> dict:
    """A 12-megapixel photo with faces of 120..600 pixels; returns ground truth."""
    import cv2

    rng = np.random.default_rng(seed)
    image = scene(width, height, seed)
    truth: list[list[int]] = []
    covers: list[list[list[int]]] = []
    for sprite in astronaut_sprites(faces, seed):
        face_px = rng.uniform(120, 600)
        scale = face_px / (FACE_IN_CROP[2] - FACE_IN_CROP[0])
        sprite = cv2.resize(sprite, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        x = int(rng.uniform(0, width - sprite.shape[1]))
        y = int(rng.uniform(0, height - sprite.shape[0]))
        placed = _paste(image, sprite, x, y)
        for face, cover in zip(truth, covers, strict=True):
            if placed and _intersects(face, placed):
                cover.append(list(placed))
        covers.append([])
        truth.append(
            [
                round(x + FACE_IN_CROP[0] * scale),
                round(y + FACE_IN_CROP[1] * scale),
                round(x + FACE_IN_CROP[2] * scale),
                round(y + FACE_IN_CROP[3] * scale),
            ]
        )
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return {"path": str(path), "width": width, "height": height, "faces": truth, "covers": covers}


__all__ = ["Clip", "Fraction", "make_clip", "make_photo"]
