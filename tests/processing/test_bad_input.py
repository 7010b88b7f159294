"""Bad input: each hostile or damaged file ends as a failed or partial job with a reason a
person can read; no worker crashes, hangs past its time limit or runs out of memory."""

from __future__ import annotations

import gzip
import random
import struct
import time
import zipfile
import zlib

from sqlalchemy import func, select

from exhibits.processing.models import Job
from tests.processing.conftest import jobs_of, make_jpeg, make_pdf, make_video


def test_a_truncated_mp4_fails_with_the_reason(vault, add, drain, tmp_path):
    whole = make_video(tmp_path / "whole.mp4", seconds=2).read_bytes()  # index (moov) at the end
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(whole[: len(whole) * 6 // 10])  # the recorder lost power
    outcome = add(truncated)[0]
    drain()
    jobs = jobs_of(vault, outcome.sha256)
    assert jobs["probe"].status == "failed"
    assert jobs["probe"].error.startswith(
        "ffprobe failed: the file is truncated or was never finalised by the recorder (moov atom not found"
    )
    assert jobs["proxy"].status == "failed" and jobs["proxy"].error.startswith(
        "not run: it needs probe, which failed"
    )


def test_a_video_with_a_corrupt_frame_still_gets_a_proxy_with_a_warning(vault, add, drain, tmp_path):
    path = make_video(
        tmp_path / "cctv.mp4", seconds=3, audio=False, extra=("-g", "15", "-movflags", "+faststart")
    )
    data = bytearray(path.read_bytes())
    middle = data.find(b"mdat") + (len(data) - data.find(b"mdat")) // 2
    data[middle : middle + 3000] = bytes((i * 37) % 256 for i in range(3000))  # damage mid-stream
    path.write_bytes(bytes(data))
    outcome = add(path)[0]
    drain()
    proxy = jobs_of(vault, outcome.sha256)["proxy"]
    assert proxy.status == "done"  # a partial result, and it says so
    assert proxy.warnings[0].startswith("FFmpeg reported")
    assert "decoding problem(s); the proxy may show damage" in proxy.warnings[0]
    assert vault.processing.derivatives(outcome.sha256, kind="proxy")
    state = vault.processing.exhibit_processing(
        vault.users.principal_for("1234", via="cli"), outcome.exhibit_id
    )
    assert state.state == "partial"


def test_a_raw_h264_cctv_export_is_made_playable_though_it_states_no_duration(vault, add, drain, tmp_path):
    raw = tmp_path / "cam03.264"
    make_video(raw, seconds=2, audio=False, extra=("-f", "h264"))
    outcome = add(raw, source="cctv")[0]
    assert outcome.mime_type == "application/octet-stream"
    drain()
    jobs = jobs_of(vault, outcome.sha256)
    assert jobs["probe"].status == "done" and jobs["proxy"].status == "done"
    assert any("does not state a duration" in w for w in jobs["probe"].warnings)
    assert jobs["audio"].status == "skipped"


def test_unknown_binary_content_is_skipped_not_failed(vault, add, drain, tmp_path):
    blob = tmp_path / "export.dat"
    blob.write_bytes(random.Random(4).randbytes(16384))  # no format libmagic or FFmpeg knows
    outcome = add(blob)[0]
    drain()
    jobs = jobs_of(vault, outcome.sha256)
    assert jobs["probe"].status == "skipped" and jobs["probe"].error.startswith(
        "not a media file FFmpeg recognises"
    )
    assert jobs["proxy"].status == "skipped"


def hostile_exif() -> bytes:
    """EXIF with a lying string length, an invalid orientation, a GPS position of zero
    denominators, an IFD that points back at itself, and control/bidi characters."""
    entries = []
    data = bytearray()
    base = 8 + 2 + 12 * 6 + 4  # after the header, IFD0's count, six entries and next-IFD offset
    make = "Ev\u202eil\x07\x00Corp".encode()
    entries.append(struct.pack("<HHII", 0x010F, 2, len(make), base + len(data)))
    data += make
    entries.append(struct.pack("<HHII", 0x0110, 2, 0x7FFFFFF0, 0x7FFFFFFF))  # model: far past the end
    entries.append(struct.pack("<HHIHH", 0x0112, 3, 1, 99, 0))  # orientation 99
    gps_offset = base + len(data)
    entries.append(struct.pack("<HHII", 0x8825, 4, 1, gps_offset))
    entries.append(struct.pack("<HHII", 0x8769, 4, 1, 8))  # the Exif IFD is IFD0 again: a loop
    entries.append(struct.pack("<HHII", 0x0132, 2, 20, 0x10))  # date pointing into the header
    gps_entries = 2
    rationals = gps_offset + 2 + 12 * gps_entries + 4
    data += struct.pack("<H", gps_entries)
    data += struct.pack("<HHI4s", 1, 2, 2, b"X\x00\x00\x00")
    data += struct.pack("<HHII", 2, 5, 3, rationals)
    data += struct.pack("<I", 8)  # next IFD: IFD0 again
    data += struct.pack("<6I", 51, 0, 30, 0, 2, 0)  # degrees/minutes/seconds over zero
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 6) + b"".join(entries) + struct.pack("<I", 8)
    return b"Exif\x00\x00" + tiff + bytes(data)


def test_a_jpeg_with_hostile_exif_is_described_safely(vault, add, drain, tmp_path):
    photo = tmp_path / "hostile.jpg"
    plain = make_jpeg(tmp_path / "plain.jpg", size=(40, 30)).read_bytes()
    segment = hostile_exif()
    photo.write_bytes(plain[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + plain[2:])
    outcome = add(photo)[0]
    drain()
    jobs = jobs_of(vault, outcome.sha256)
    assert jobs["probe"].status == "done" and jobs["image-proxy"].status == "done"
    probe = vault.processing.facts(outcome.sha256)["probe"]
    assert probe["orientation"] == 1 and probe["gps"] is None
    assert probe["device_make"] is None or "\x00" not in probe["device_make"]
    assert (probe["display_width"], probe["display_height"]) == (40, 30)


def test_a_zero_length_file_is_refused_and_an_empty_member_is_listed_with_the_reason(
    vault, add, drain, tmp_path
):
    import pytest

    from exhibits.errors import InvalidInput

    empty = tmp_path / "000001.mp4"
    empty.write_bytes(b"")  # the recorder died before writing a byte
    with pytest.raises(InvalidInput, match="empty"):
        add(empty)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cam1/000001.mp4", b"")
        archive.writestr("cam1/000002.txt", b"index")
    outcome = add(path)[0]
    drain()
    job = jobs_of(vault, outcome.sha256)["archive"]
    assert job.status == "done"  # a partial result, and it says why
    assert job.warnings == ["skipped 'cam1/000001.mp4': empty (0 bytes), so there is no content to keep"]
    state = vault.processing.exhibit_processing(
        vault.users.principal_for("1234", via="cli"), outcome.exhibit_id
    )
    assert [m.member_path for m in state.members] == ["cam1/000002.txt"]
    assert state.state == "partial"


def test_a_zip_bomb_is_refused_before_it_expands(vault, add, drain, tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("zeros.bin", bytes(64 * 2**20))  # 64 MiB of zeros in ~64 KiB
    outcome = add(path)[0]
    drain()
    job = jobs_of(vault, outcome.sha256)["archive"]
    assert job.status == "failed"
    assert job.error.startswith("zip bomb guard: it declares 67,108,864 bytes from")


def test_a_compressed_file_that_expands_past_the_limits_is_stopped_while_expanding(
    vault, add, drain, tmp_path
):
    path = tmp_path / "logs.gz"
    # 64 MiB of one letter in ~64 KiB. Gzip states no size: what comes out is counted.
    path.write_bytes(gzip.compress(b"A" * 64 * 2**20, compresslevel=9))
    outcome = add(path)[0]
    drain()
    job = jobs_of(vault, outcome.sha256)["archive"]
    assert job.status == "failed" and job.error.startswith("zip bomb guard: 'content' expands past")


def test_a_zip_of_ten_thousand_files_is_refused_with_the_limit_to_raise(vault, add, drain, tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(10_000):
            archive.writestr(f"frames/{number:05d}.txt", b"x")
    outcome = add(path)[0]
    started = time.monotonic()
    drain()
    job = jobs_of(vault, outcome.sha256)["archive"]
    assert job.status == "failed"
    assert job.error == (
        "the archive holds 10,000 files, over the limit of 5,000 "
        "(raise processing.params.archive.max_members to open it)"
    )
    assert time.monotonic() - started < 30
    with vault.reading() as session:  # nothing half-made: no child items
        from exhibits.evidence.models import Media

        assert session.scalar(select(func.count()).select_from(Media)) == 1


def test_a_pdf_with_a_broken_xref_is_read_with_a_warning(vault, add, drain, tmp_path):
    pdf = make_pdf(tmp_path / "statement.pdf", ["Statement of Mrs Patel"], break_xref=True)
    outcome = add(pdf)[0]
    drain()
    job = jobs_of(vault, outcome.sha256)["document_text"]
    assert job.status == "done"
    assert any(w.startswith("PDF reader:") for w in job.warnings)
    assert vault.processing.facts(outcome.sha256)["document_text"]["page_count"] == 1


def test_a_pdf_that_is_not_a_pdf_at_all_fails_with_the_reason(vault, add, drain, tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    outcome = add(fake)[0]
    drain()
    job = jobs_of(vault, outcome.sha256)["document_text"]
    assert job.status == "failed" and job.error.startswith("the PDF is damaged beyond repair")


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * 16))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_an_image_claiming_huge_dimensions_is_described_but_never_decoded(vault, add, drain, tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(50_000, 50_000))
    outcome = add(bomb)[0]
    started = time.monotonic()
    drain()
    jobs = jobs_of(vault, outcome.sha256)
    assert jobs["probe"].status == "done"
    assert any("possible decompression bomb" in w for w in jobs["probe"].warnings)
    assert jobs["image-proxy"].status == "failed"
    assert jobs["image-proxy"].error.startswith("refused to decode:")
    assert "decompression bomb guard" in jobs["image-proxy"].error
    assert time.monotonic() - started < 30
    with vault.reading() as session:
        assert not session.scalar(select(func.count()).select_from(Job).where(Job.status == "running"))
