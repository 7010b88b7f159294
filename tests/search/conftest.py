"""A small force: two cases, people with different access, and analysed exhibits.

Analysis results are recorded exactly as the pipeline will record them: the processor's
result passed to the ``exhibits_processed`` hook inside a unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from exhibits.analysis.entities.processor import EntityProcessor
from exhibits.analysis.ocr import OcrProcessor
from exhibits.analysis.transcription import TranscriptionProcessor
from exhibits.evidence.service import IngestRequest
from exhibits.processing.processor import Processed, Result


def record(vault, sha256: str, processor, facts: dict) -> None:
    result = Result(facts=facts)
    vault.write(
        lambda ctx: vault.plugins.hook.exhibits_processed(
            ctx=ctx, vault=vault, processed=[Processed(sha256, processor, result)]
        )
    )


def transcript(*segments: tuple[float, float, str]) -> dict:
    out = []
    for number, (start, end, text) in enumerate(segments):
        words = text.split()
        step = (end - start) / len(words)
        out.append(
            {
                "id": number,
                "start": start,
                "end": end,
                "text": text,
                "confidence": 0.9,
                "words": [
                    {
                        "word": w,
                        "start": round(start + i * step, 3),
                        "end": round(start + (i + 1) * step, 3),
                        "probability": 0.9,
                    }
                    for i, w in enumerate(words)
                ],
            }
        )
    return {"model": {"name": "test"}, "language": "en", "duration": segments[-1][1], "segments": out}


@dataclass
class Force:
    a: str  # crime refs
    b: str
    bwv: dict  # ingest outcomes
    photo: dict
    other: dict
    shared: dict  # the same footage in case B as bwv in case A


def ingest(vault, principal, path: Path, case: str, producer: str, description: str, source: str = "bwv"):
    (outcome,) = vault.evidence.ingest_paths(
        principal, [path], IngestRequest(case=case, producer=producer, source=source, description=description)
    )
    return {"sha256": outcome.sha256, "ref": outcome.ref, "exhibit_id": outcome.exhibit_id}


def media_files(folder: Path) -> dict[str, Path]:
    """Real (tiny) files so that types are sniffed as a user's would be."""
    import subprocess

    from PIL import Image

    files = {
        "photo.png": folder / "photo.png",
        "bwv.mp4": folder / "bwv.mp4",
        "other.mp4": folder / "other.mp4",
    }
    Image.new("RGB", (64, 48), "white").save(files["photo.png"])
    for name, colour in (("bwv.mp4", "red"), ("other.mp4", "blue")):
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"color=c={colour}:s=64x48:d=0.2",
                "-pix_fmt",
                "yuv420p",
                str(files[name]),
            ],
            check=True,
        )
    return files


@pytest.fixture
def force(vault, people, tmp_path) -> Force:
    officer, investigator = people.officer, people.investigator
    vault.evidence.create_case(officer, "42/1001/26", "Burglary, 14 High Street")
    vault.evidence.create_case(investigator, "42/2002/26", "Robbery, Station Road")
    vault.users.assign(officer, "42/1001/26", "2345", "viewer")  # the investigator sees both
    files = media_files(tmp_path)
    bwv = ingest(
        vault, officer, files["bwv.mp4"], "42/1001/26", "PC 1234 Jane Smith", "Body-worn video of the stop"
    )
    photo = ingest(
        vault,
        officer,
        files["photo.png"],
        "42/1001/26",
        "PC 1234 Jane Smith",
        "Photo of a statement",
        "phone",
    )
    other = ingest(
        vault,
        investigator,
        files["other.mp4"],
        "42/2002/26",
        "DC 2345 Amir Khan",
        "Interview recording",
        "interview",
    )
    shared = ingest(
        vault, investigator, files["bwv.mp4"], "42/2002/26", "DC 2345 Amir Khan", "Copy of stop footage"
    )
    bwv_facts = transcript(
        (0.0, 4.0, "I stopped the vehicle AB12 CDE on High Street"),
        (4.5, 9.0, "the driver had a kitchen knife in the door pocket"),
        (61.25, 66.0, "he said his name was John Smith and lives at LS1 4AP"),
    )
    record(vault, bwv["sha256"], TranscriptionProcessor, bwv_facts)
    ocr_facts = {
        "pages": [
            {
                "page": 1,
                "dpi": 300,
                "text": "Call me on 07700 900123\nregistration KM19XYZ",
                "words": [
                    {
                        "text": "Call",
                        "box": [10, 10, 40, 20],
                        "line": 0,
                        "char_start": 0,
                        "char_end": 4,
                        "confidence": 0.9,
                    },
                    {
                        "text": "me",
                        "box": [60, 10, 20, 20],
                        "line": 0,
                        "char_start": 5,
                        "char_end": 7,
                        "confidence": 0.9,
                    },
                    {
                        "text": "on",
                        "box": [90, 10, 20, 20],
                        "line": 0,
                        "char_start": 8,
                        "char_end": 10,
                        "confidence": 0.9,
                    },
                    {
                        "text": "07700",
                        "box": [120, 10, 60, 20],
                        "line": 0,
                        "char_start": 11,
                        "char_end": 16,
                        "confidence": 0.9,
                    },
                    {
                        "text": "900123",
                        "box": [190, 10, 70, 20],
                        "line": 0,
                        "char_start": 17,
                        "char_end": 23,
                        "confidence": 0.9,
                    },
                    {
                        "text": "registration",
                        "box": [10, 50, 120, 20],
                        "line": 1,
                        "char_start": 24,
                        "char_end": 36,
                        "confidence": 0.9,
                    },
                    {
                        "text": "KM19XYZ",
                        "box": [140, 50, 80, 20],
                        "line": 1,
                        "char_start": 37,
                        "char_end": 44,
                        "confidence": 0.9,
                    },
                ],
            }
        ]
    }
    record(vault, photo["sha256"], OcrProcessor, ocr_facts)
    other_facts = transcript(
        (0.0, 5.0, "alpha bravo one two charlie delta echo was seen again"),
        (5.0, 9.0, "the suspect Jon Smyth had a blade"),
    )
    record(vault, other["sha256"], TranscriptionProcessor, other_facts)
    # Entities as the entity processor finds them in those outputs (real extraction).
    from tests.analysis.conftest import run

    for item, facts in (
        (bwv, {"transcription": bwv_facts}),
        (photo, {"ocr": ocr_facts}),
        (other, {"transcription": other_facts}),
    ):
        entities = run(EntityProcessor(), Path(__file__), "video/mp4", tmp_path / item["sha256"][:8], **facts)
        record(vault, item["sha256"], EntityProcessor, entities.facts)
    return Force("42/1001/26", "42/2002/26", bwv, photo, other, shared)
