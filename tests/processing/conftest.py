"""Fixtures for processing: a case to put evidence in, real media made with FFmpeg and
Pillow, and a worker that runs until there is nothing left to do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from exhibits.evidence.service import IngestRequest
from exhibits.processing.models import Job
from exhibits.processing.views import JobView

CASE = "42/55501/26"
PRODUCER = "PC 1234 Jane Smith"


def ffmpeg(*args: str) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed: run scripts/system-packages test")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_video(path: Path, *, seconds: float = 2, size: str = "320x240", audio: bool = True, extra=()):
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate=15:duration={seconds}"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        codecs += ["-c:a", "aac", "-shortest"]
    ffmpeg(*inputs, *codecs, *extra, str(path))
    return path


def make_jpeg(path: Path, size=(64, 48), exif=None, colour=(200, 30, 30)) -> Path:
    from PIL import Image

    image = Image.new("RGB", size, colour)
    image.save(path, "JPEG", exif=exif if exif is not None else b"")
    return path


@pytest.fixture(autouse=True)
def only_built_in_processors(monkeypatch):
    """These tests are about the pipeline: other capabilities' processors (transcription,
    OCR, redaction...) are disabled here, in this process and in any worker it starts."""
    from exhibits.hooks import plugin_manager
    from exhibits.processing.media import BUILT_IN

    built_in = {p.name for p in BUILT_IN}
    others = sorted(
        cls.name
        for batch in plugin_manager().hook.exhibits_processors()
        for cls in batch or []
        if cls.name not in built_in
    )
    if others:
        monkeypatch.setenv("EXHIBITS_PROCESSING__DISABLED", ",".join(others))


@pytest.fixture
def case(vault, admin, request):
    """The case 42/55501/26, opened by PC 1234 Jane Smith (its officer in charge)."""
    if "people" in request.fixturenames:
        officer = request.getfixturevalue("people").officer
    else:  # one account is quicker to make than five (argon2 is slow on purpose)
        vault.users.create_user(admin, collar="1234", name="Jane Smith", roles=["officer"], password="x" * 16)
        officer = vault.users.principal_for("1234", via="cli")
    vault.evidence.create_case(officer, CASE, "Robbery, Station Road")
    return officer


@pytest.fixture
def add(vault, case):
    """Ingest files into the case as the officer; returns the outcomes."""

    def run(*paths: Path, principal=None, **request):
        return vault.evidence.ingest_paths(
            principal or case, list(paths), IngestRequest(case=CASE, producer=PRODUCER, **request)
        )

    return run


@pytest.fixture
def drain(vault):
    """Run an embedded worker in this process until no job is left."""
    from exhibits.processing.worker import EmbeddedWorker

    vault.processing.settings.poll_seconds = 0.1

    def run(concurrency: int = 1) -> int:
        return EmbeddedWorker(vault, concurrency=concurrency, until_idle=True).run()

    return run


def jobs_of(vault, sha256: str) -> dict[str, JobView]:
    """The jobs on some content, by processor (latest version of each)."""
    from sqlalchemy import select

    with vault.reading() as session:
        rows = session.scalars(select(Job).where(Job.sha256 == sha256).order_by(Job.created_at))
        return {j.processor: JobView.of(j) for j in rows}


def make_heic(path: Path, size=(64, 32)) -> Path:
    """An iPhone-style HEIC: Apple make and model, taken sideways (orientation 6), with GPS
    and a capture time. Encoded with pillow-heif (a test-only dependency)."""
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112], exif[0x0131] = "Apple", "iPhone 15 Pro", 6, "17.1"
    detail = exif.get_ifd(0x8769)
    detail[0x9003], detail[0x9011] = "2026:11:20 21:40:00", "+00:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4], gps[6] = "N", (51.0, 30.0, 2.52), "W", (0.0, 7.0, 28.56), 10.0
    image.save(path, "HEIF", exif=exif.tobytes(), quality=60)
    return path


def make_rotated_mov(path: Path) -> Path:
    """An iPhone-style HEVC MOV filmed in portrait: stored 320x240 with a display matrix
    rotating it 90 degrees, Apple metadata and a location."""
    import struct

    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=1",
        "-f", "lavfi", "-i", "sine=duration=1",
        "-c:v", "libx265", "-x265-params", "log-level=error", "-preset", "ultrafast", "-tag:v", "hvc1",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "use_metadata_tags",
        "-metadata", "com.apple.quicktime.make=Apple", "-metadata", "com.apple.quicktime.model=iPhone 15 Pro",
        "-metadata", "com.apple.quicktime.location.ISO6709=+51.5007-000.1246+010.000/",
        "-metadata", "creation_time=2026-11-20T21:40:00Z", str(path),
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    box = data.find(b"tkhd")  # the video track's header comes first
    version = data[box + 4]
    matrix = box + 8 + (32 if version == 1 else 20) + 8 + 8
    data[matrix : matrix + 36] = struct.pack(">9i", 0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))
    return path


def make_pdf(path: Path, pages: list[str], *, break_xref: bool = False) -> Path:
    """A small PDF with a real text layer, written by hand (offsets computed), optionally
    with a cross-reference table that points at the wrong places."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{(offset + 7 if break_xref else offset):010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info << /Title (Statement) >> >>\n".encode()
    out += f"startxref\n{xref + 3 if break_xref else xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path
