"""Accuracy of the analysis processors on the small test sets in this folder.

    .venv/bin/python bench/accuracy/run.py            # everything
    .venv/bin/python bench/accuracy/run.py --only entities

Speech: the sentences of speech.txt spoken by espeak-ng (en-gb, 150 wpm), clean and with
white noise mixed in at about 10 dB SNR, transcribed by the transcription processor; word
and character error rates after normalising both sides the same way (lower case, no
punctuation, numbers as words). Spoken registrations recovered end to end are counted.
Pages: pages.txt rendered clean and degraded, read by the OCR processor; CER and WER.
Entities: entities.jsonl (gold type and normalised value per sentence); precision and
recall per type and overall, exact match on (type, value).
Needs espeak-ng, sox and fonts-dejavu-core (scripts/system-packages test) and jiwer,
num2words (the test extra).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))


def lines(name: str) -> list[str]:
    return [x for x in (HERE / name).read_text().splitlines() if x.strip() and not x.startswith("#")]


def words_for_numbers(text: str) -> str:
    from num2words import num2words

    def say(match: re.Match) -> str:
        digits = match.group(0)
        if digits.startswith("0") or len(digits) >= 5:
            return " ".join(num2words(int(d)) for d in digits)  # phone numbers are read digit by digit
        if len(digits) == 4 and 1000 <= int(digits) < 2100:
            return num2words(int(digits), to="year")
        return num2words(int(digits))

    return re.sub(r"\d+", say, text)


def normalise(text: str) -> str:
    text = words_for_numbers(text.lower().replace("-", " "))
    return " ".join(re.sub(r"[^a-z' ]+", " ", text).split())


def speech(work: Path) -> None:
    import jiwer

    from exhibits.analysis.entities.spoken import find_spoken_vrms
    from exhibits.analysis.transcription import TranscriptionProcessor
    from exhibits.processing.processor import Context

    sentences = lines("speech.txt")
    processor = TranscriptionProcessor()
    for condition in ("clean", "noisy"):
        refs, hyps, audio_seconds, wall = [], [], 0.0, 0.0
        plates = 0
        for number, sentence in enumerate(sentences):
            raw, wav = work / f"s{number}.raw.wav", work / f"s{number}.{condition}.wav"
            subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(raw), sentence], check=True)
            if condition == "clean":
                subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
            else:  # white noise about 10 dB under the speech's RMS level
                clean = work / f"s{number}.clean.wav"
                rms = float(
                    subprocess.run(["sox", str(clean), "-n", "stat"], capture_output=True, text=True)
                    .stderr.split("RMS     amplitude:")[1]
                    .split()[0]
                )
                subprocess.run(
                    [
                        "sox",
                        "-m",
                        str(clean),
                        "|sox " + str(clean) + f" -p synth whitenoise vol {rms / 3.16:.5f}",
                        str(wav),
                    ],
                    check=True,
                )
            ctx = Context("0" * 64, "audio/wav", wav, work, params=processor.params())
            started = time.perf_counter()
            facts = processor.run(ctx).facts
            wall += time.perf_counter() - started
            audio_seconds += facts["duration"]
            refs.append(normalise(sentence))
            hyps.append(normalise(facts["text"]))
            if "alpha bravo" in sentence:
                plates += any(f.value == "AB12CDE" for f in find_spoken_vrms(facts["text"]))
        wer = jiwer.wer(refs, hyps)
        cer = jiwer.cer(refs, hyps)
        print(
            f"speech {condition:5}: WER {wer:.3f}  CER {cer:.3f}  over {len(refs)} sentences, "
            f"{audio_seconds:.1f} s of audio; RTF {wall / audio_seconds:.3f} (model load excluded); "
            f"spoken plate recovered {plates}/1"
        )
        for ref, hyp in zip(refs, hyps, strict=True):
            if ref != hyp:
                print(f"    ref: {ref}\n    hyp: {hyp}")


def pages(work: Path) -> None:
    import jiwer
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    from exhibits.analysis.ocr import OcrProcessor
    from exhibits.processing.processor import Context

    text = lines("pages.txt")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 44)
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(text):
        draw.text((180, 200 + number * 95), line, font=font, fill=0)
    clean = work / "page-clean.png"
    page.save(clean, dpi=(300, 300))
    degraded = page.resize((1240, 1754)).rotate(1.5, fillcolor=255).filter(ImageFilter.GaussianBlur(0.8))
    noise = Image.effect_noise(degraded.size, 12)
    degraded = Image.blend(degraded, noise, 0.1)
    degraded_path = work / "page-degraded.jpg"
    degraded.save(degraded_path, quality=60, dpi=(150, 150))
    reference = " ".join(" ".join(text).split())
    processor = OcrProcessor()
    for name, path, mime in (("clean", clean, "image/png"), ("degraded", degraded_path, "image/jpeg")):
        started = time.perf_counter()
        facts = processor.run(Context("0" * 64, mime, path, work, params=processor.params())).facts
        elapsed = time.perf_counter() - started
        hypothesis = " ".join(facts["text"].split())
        print(
            f"ocr {name:8}: CER {jiwer.cer(reference, hypothesis):.4f}  "
            f"WER {jiwer.wer(reference, hypothesis):.3f}"
            f"  {elapsed:.2f} s/page"
        )


def entities() -> None:
    from exhibits.analysis.entities.processor import Unit, extract

    gold_rows = [json.loads(x) for x in (HERE / "entities.jsonl").read_text().splitlines() if x.strip()]
    units = [Unit("document", row["text"], {"page": n}) for n, row in enumerate(gold_rows)]
    found = extract(units)
    predicted: set[tuple[int, str, str]] = set()
    for entity in found:
        predicted.add((entity["source"]["page"], entity["type"], entity["value"]))
    gold = {(n, t, v) for n, row in enumerate(gold_rows) for t, v in row["entities"]}
    per_type: dict[str, Counter] = {}
    for item in predicted | gold:
        counts = per_type.setdefault(item[1], Counter())
        counts["tp" if item in predicted and item in gold else "fp" if item in predicted else "fn"] += 1
    total = Counter()
    print(f"entities: {len(gold_rows)} sentences, {len(gold)} gold entities")
    for kind, counts in sorted(per_type.items()):
        total.update(counts)
        p = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
        r = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
        print(
            f"    {kind:12} precision {p:.2f}  recall {r:.2f}  "
            f"(tp {counts['tp']}, fp {counts['fp']}, fn {counts['fn']})"
        )
    p = total["tp"] / max(total["tp"] + total["fp"], 1)
    r = total["tp"] / max(total["tp"] + total["fn"], 1)
    print(f"    {'all':12} precision {p:.2f}  recall {r:.2f}")
    for item in sorted(predicted - gold):
        print(f"    false positive: {item}")
    for item in sorted(gold - predicted):
        print(f"    missed:         {item}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["speech", "pages", "entities"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if args.only in (None, "entities"):
            entities()
        if args.only in (None, "pages"):
            pages(work)
        if args.only in (None, "speech"):
            speech(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
