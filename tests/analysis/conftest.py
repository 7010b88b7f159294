"""Real inputs for the analysis processors, made once per test session: speech from
espeak-ng, pages rendered with Pillow. Models load once per process (they are cached)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from exhibits.processing.processor import Context, Processor, Result

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
SPEECH = (
    "Officer twelve thirty four. I stopped the vehicle alpha bravo one two charlie delta echo "
    "on High Street at ten past four. The driver gave his name as John Smith."
)
STATEMENT = [
    "WITNESS STATEMENT",
    "I saw a blue car, registration AB12 CDE,",
    "parked outside 14 High Street, Leeds LS1 4AP.",
    "Call me on 07700 900123 or jane@example.org.",
]


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is needed (scripts/system-packages test installs it)")
    return path


def speak(text: str, out: Path) -> Path:
    """Synthetic speech as 16 kHz mono 16-bit WAV (espeak-ng, then sox)."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run([need("espeak-ng"), "-v", "en-gb", "-s", "150", "-w", str(raw), text], check=True)
    subprocess.run([need("sox"), str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True)
    return out


def render_page(
    lines: list[str], out: Path, *, size: int = 44
) -> tuple[Path, dict[str, tuple[int, int, int, int]]]:
    """A 300 dpi page; returns the bounding box (x, y, w, h) of every word drawn."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), size)
    image = Image.new("L", (2480, 200 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    boxes = {}
    for number, line in enumerate(lines):
        x, y = 150, 100 + number * 90
        draw.text((x, y), line, font=font, fill=0)
        cursor = x
        for word in line.split(" "):
            left, top, right, bottom = draw.textbbox((cursor, y), word, font=font)
            boxes[word.strip(",.")] = (left, top, right - left, bottom - top)
            cursor += draw.textlength(word + " ", font=font)
    image.save(out, dpi=(300, 300))
    return out, boxes


def run(processor: Processor, path: Path, mime: str, workdir: Path, **deps) -> Result:
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        sha256="0" * 64,
        mime_type=mime,
        input_path=path,
        workdir=workdir,
        params=processor.params(),
        dependency_facts=deps,
    )
    return processor.run(ctx)


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    return speak(SPEECH, tmp_path_factory.mktemp("speech") / "speech.wav")


@pytest.fixture(scope="session")
def transcribed(speech_wav, tmp_path_factory) -> Result:
    from exhibits.analysis.transcription import TranscriptionProcessor

    return run(TranscriptionProcessor(), speech_wav, "audio/x-wav", tmp_path_factory.mktemp("transcribe"))


@pytest.fixture(scope="session")
def statement_page(tmp_path_factory):
    return render_page(STATEMENT, tmp_path_factory.mktemp("page") / "statement.png")


@pytest.fixture(scope="session")
def ocr_result(statement_page, tmp_path_factory) -> Result:
    from exhibits.analysis.ocr import OcrProcessor

    return run(OcrProcessor(), statement_page[0], "image/png", tmp_path_factory.mktemp("ocr"))
