"""A small demonstration case, so a newcomer sees something real straight away."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from exhibits.errors import Conflict
from exhibits.evidence.service import IngestRequest

if TYPE_CHECKING:
    from exhibits.access.principal import Principal
    from exhibits.vault import Vault

DEMO_CASE = "DEMO/0001/26"

STATEMENT = """WITNESS STATEMENT (demonstration material, not a real case)

I am the manager of the Corner Shop, 14 High Street, Anytown AN1 2BC.
On Friday 20 November 2026 at about 21:40 a man wearing a grey hooded top took
three bottles of whisky from the shelf behind the till and left without paying.
He got into a silver Ford Focus, registration AB12 CDE, which drove off towards
the ring road. Our CCTV covers the till and the door. I can be reached on
07700 900123.
"""


def _tone_wav(seconds: float = 3.0, rate: int = 16000) -> bytes:
    frames = bytearray()
    for i in range(int(seconds * rate)):
        level = 0.3 * math.sin(2 * math.pi * 440 * i / rate) if (i // (rate // 2)) % 2 == 0 else 0.0
        frames += struct.pack("<h", int(level * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def _gradient_png(width: int = 320, height: int = 180) -> bytes:
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 128))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def create_demo(vault: Vault, principal: Principal, workdir: Path) -> str:
    """Create the demo case and its exhibits; returns the case reference."""
    try:
        vault.evidence.create_case(
            principal, DEMO_CASE, "Demonstration: theft from the Corner Shop", urn="42DM0000126"
        )
    except Conflict:
        return DEMO_CASE
    workdir.mkdir(parents=True, exist_ok=True)
    files = {
        "statement_store_manager.txt": (STATEMENT.encode(), "document", "Statement of the store manager"),
        "cctv_still_till.png": (_gradient_png(), "cctv", "CCTV still of the till area"),
        "999_call_extract.wav": (_tone_wav(), "interview", "Extract of the 999 call"),
    }
    when = datetime(2026, 11, 20, 21, 40, tzinfo=UTC)
    for name, (data, source, description) in files.items():
        path = workdir / name
        path.write_bytes(data)
        vault.evidence.ingest_paths(
            principal,
            [path],
            IngestRequest(
                case=DEMO_CASE,
                producer="PC 1234 Jane Smith",
                source=source,
                description=description,
                captured_at=when,
            ),
        )
    return DEMO_CASE
