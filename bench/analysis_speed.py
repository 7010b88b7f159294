"""Transcription real-time factor and OCR seconds per page, next to their references.

    .venv/bin/python bench/analysis_speed.py

Transcription: the ten sentences of accuracy/speech.txt spoken by espeak-ng and joined into
one recording (about 52 s), transcribed by the transcription processor (model loaded
first, not timed); RTF = wall time / audio duration, with the WER of that run beside it.
OCR: the accuracy/pages.txt page rendered clean (300 dpi) and degraded (150 dpi), read by
the OCR processor (tesserocr) and by the ``tesseract`` command with OMP_THREAD_LIMIT=1, in
the same run; median of 3 after a warm-up; the ratio ours / command.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "accuracy"))


def transcription(work: Path) -> None:
    import jiwer
    from run import lines, normalise

    from exhibits.analysis.transcription import TranscriptionProcessor, load_whisper, model_from_params
    from exhibits.processing.processor import Context

    sentences = lines("speech.txt")
    parts = []
    for number, sentence in enumerate(sentences):
        raw = work / f"s{number}.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(raw), sentence], check=True)
        parts.append(str(raw))
    joined = work / "joined.wav"
    subprocess.run(["sox", *parts, "-r", "16000", "-c", "1", "-b", "16", str(joined)], check=True)
    processor = TranscriptionProcessor()
    params = processor.params()
    load_whisper(model_from_params(params), params["threads"])
    started = time.perf_counter()
    facts = processor.run(Context("0" * 64, "audio/wav", joined, work, params=params)).facts
    wall = time.perf_counter() - started
    wer = jiwer.wer(normalise(" ".join(sentences)), normalise(facts["text"]))
    print(
        f"transcription: {facts['duration']:.1f} s of speech in {wall:.1f} s: "
        f"RTF {wall / facts['duration']:.3f} "
        f"(target <= 0.15) at WER {wer:.3f}; beam {params['beam_size']}, {params['threads']} threads, int8"
    )


def ocr(work: Path) -> None:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
    from run import lines

    from exhibits.analysis.ocr import OcrProcessor
    from exhibits.processing.processor import Context

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 44)
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines("pages.txt")):
        draw.text((180, 200 + number * 95), line, font=font, fill=0)
    clean = work / "clean.png"
    page.save(clean, dpi=(300, 300))
    degraded = work / "degraded.png"
    page.resize((1240, 1754)).rotate(1.5, fillcolor=255).filter(ImageFilter.GaussianBlur(0.8)).save(
        degraded, dpi=(150, 150)
    )
    processor = OcrProcessor()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    for name, path in (("clean 300 dpi", clean), ("degraded 150 dpi", degraded)):
        ctx = Context("0" * 64, "image/png", path, work, params=processor.params())
        processor.run(ctx)  # warm-up (model load)
        ours, theirs = [], []
        for _ in range(3):
            t = time.perf_counter()
            processor.run(ctx)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run(
                ["tesseract", str(path), str(work / "out"), "-l", "eng"],
                env=env,
                check=True,
                capture_output=True,
            )
            theirs.append(time.perf_counter() - t)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(
            f"ocr {name}: ours {a:.2f} s/page, tesseract command (OMP_THREAD_LIMIT=1) {b:.2f} s/page, "
            f"ratio {a / b:.2f} (target <= 1.1)"
        )


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ocr(work)
        transcription(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
