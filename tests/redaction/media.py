"""Tiny, real test media built on the fly: clips with a face moving over a background, photos
with EXIF GPS and thumbnails, recordings with a tone. Small enough for CI on two cores."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


def face(size: int) -> np.ndarray:
    """The astronaut's face (BGR), ``size`` pixels wide."""
    from PIL import Image

    image = Image.open(DATA / "astronaut_face.jpg").convert("RGB")
    height = round(size * image.height / image.width)
    return np.asarray(image.resize((size, height)))[:, :, ::-1].copy()


def background(width: int, height: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.zeros((height, width, 3), dtype=np.uint8)
    base[:] = (70, 110, 90)
    noise = rng.integers(0, 40, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    return np.clip(base + np.kron(noise, np.ones((8, 8, 1), dtype=np.uint8))[:height, :width], 0, 255).astype(
        np.uint8
    )


def face_positions(frames: int, width: int, height: int, size: int) -> list[tuple[int, int]]:
    """Where the face's top-left corner is in each frame: a slow left-to-right walk."""
    x0, x1 = width // 10, width - size - width // 10
    return [(x0 + (x1 - x0) * i // max(1, frames - 1), height // 4) for i in range(frames)]


def make_video(
    path: Path,
    *,
    width: int = 320,
    height: int = 240,
    frames: int = 12,
    fps: int = 10,
    face_size: int = 90,
    audio: bool = True,
    tone_hz: float = 440.0,
    rotation: int = 0,
    times: list[float] | None = None,
) -> list[tuple[int, int]]:
    """Write an H.264/AAC MP4; returns the face positions. ``times`` makes it variable-rate."""
    import av

    positions = face_positions(frames, width, height, face_size)
    picture = face(face_size)
    fh, fw = picture.shape[:2]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        odd = width % 2 or height % 2  # 4:2:0 needs even sizes; phones' odd sizes come as 4:4:4 here
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p" if odd else "yuv420p"
        time_base = Fraction(1, 1000)
        stream.codec_context.time_base = time_base
        stream.options = {"crf": "20", "preset": "ultrafast"}
        if rotation:
            stream.set_display_rotation(rotation)  # type: ignore[attr-defined]
        sound = container.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i, (x, y) in enumerate(positions):
            image = background(width, height)
            image[y : y + fh, x : x + fw] = picture[: height - y, : width - x]
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = round((times[i] if times else i / fps) * 1000)
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if sound is not None:
            duration = (times[-1] if times else frames / fps) + 1 / fps
            samples = int(16000 * duration)
            t = np.arange(samples) / 16000
            tone = (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode(None):
                container.mux(packet)
    return positions


def make_photo(
    path: Path,
    *,
    width: int = 640,
    height: int = 480,
    face_size: int = 160,
    gps: bool = True,
    fmt: str = "JPEG",
) -> tuple[int, int, int, int]:
    """A photo with a face, EXIF GPS and an EXIF thumbnail; returns the face box in pixels."""
    from PIL import Image

    image = background(width, height)
    picture = face(face_size)
    x, y = width // 3, height // 5
    image[y : y + picture.shape[0], x : x + picture.shape[1]] = picture
    pil = Image.fromarray(image[:, :, ::-1].copy())
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = "Model 1"
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 40.2)}
    thumb = io.BytesIO()
    pil.resize((160, 120)).save(thumb, "JPEG")
    if fmt == "JPEG":
        # Pillow writes a thumbnail IFD (IFD1) when given one through the EXIF's raw bytes.
        pil.save(path, "JPEG", exif=_exif_with_thumbnail(exif, thumb.getvalue()), quality=92)
    else:
        pil.save(path, fmt, exif=exif)
    return x, y, picture.shape[1], picture.shape[0]


def _exif_with_thumbnail(exif, thumbnail: bytes) -> bytes:
    import piexif

    data = piexif.load(exif.tobytes())
    data["thumbnail"] = thumbnail
    data["1st"] = {piexif.ImageIFD.Compression: 6}
    return piexif.dump(data)


def make_wav(path: Path, seconds: float = 2.0, rate: int = 16000, tone_hz: float = 440.0) -> None:
    import wave

    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * np.sin(2 * np.pi * tone_hz * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())


SECRET = "Jane Doe"
PHONE = "07700 900123"


def make_statement_pdf(path: Path) -> None:
    """A witness statement with everything that can hide personal data in a PDF.

    Page 1: text naming the witness and her phone number, a photo, and a form field holding
    her name. Page 2: a comment annotation naming her. The document has her name in its
    information dictionary, XMP metadata and an attached file; and an earlier incremental
    revision of page 2 (replaced by a later one, still in the file) mentions her too.
    """
    import pikepdf
    from pypdf import PdfWriter
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    draft = path.with_suffix(".draft.pdf")
    c = canvas.Canvas(str(draft), pagesize=A4, invariant=1)
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, f"Witness statement of {SECRET}.")
    c.drawString(72, 740, f"Phone {PHONE}. The car was blue.")
    c.drawImage(ImageReader(str(DATA / "astronaut_face.jpg")), 72, 500, width=100, height=110)
    c.acroForm.textfield(name="witness", value=SECRET, x=72, y=440, width=200, height=20)
    c.showPage()
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, f"Old draft mentions {SECRET} at 1 Acacia Avenue.")
    c.showPage()
    c.save()

    with pikepdf.open(draft) as pdf:
        pdf.docinfo["/Author"] = SECRET
        with pdf.open_metadata() as meta:
            meta["dc:creator"] = [SECRET]
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(
            pdf, f"{SECRET} lives at 1 Acacia Avenue".encode()
        )
        annotation = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Text,
            Rect=[72, 700, 92, 720],
            Contents=pikepdf.String(f"Call {SECRET}"),
        )
        pdf.pages[1].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annotation)]))
        pdf.save(path)
    draft.unlink()

    # An incremental update replacing page 2's text: the old text stays in the file's bytes.
    writer = PdfWriter(str(path), incremental=True)
    page = writer.pages[1]
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 760 Td (Nothing personal here.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Author": SECRET})
    updated = io.BytesIO()
    writer.write(updated)
    path.write_bytes(updated.getvalue())


def plate(text: str = "AB12 CDE", width: int = 160) -> np.ndarray:
    """A UK rear plate (yellow, black characters) drawn with OpenCV's Hershey font."""
    import cv2

    height = round(width * 111 / 520)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:] = (20, 200, 250)
    cv2.rectangle(image, (1, 1), (width - 2, height - 2), (0, 0, 0), 1)
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
    return image


def make_plate_video(
    path: Path,
    *,
    width: int = 480,
    height: int = 270,
    frames: int = 20,
    fps: int = 10,
    text: str = "AB12 CDE",
) -> list[tuple[int, int, int, int]]:
    """A plate driving across a textured scene; returns its box (x, y, w, h) in each frame."""
    import av

    picture = plate(text, 150)
    ph, pw = picture.shape[:2]
    boxes = []
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast"}
        for i in range(frames):
            x, y = 20 + i * (width - pw - 40) // max(1, frames - 1), 150 - i * 2
            image = background(width, height, seed=3)
            image[y : y + ph, x : x + pw] = picture
            boxes.append((x, y, pw, ph))
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return boxes
