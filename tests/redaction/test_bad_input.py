"""Bad input either renders correctly or fails with a clear reason, and changes nothing."""

from __future__ import annotations

import json
import struct
import zlib

import av
import pytest

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import ItemKind, ItemState
from tests.redaction.media import make_video


def test_a_video_with_a_damaged_stretch_still_renders_with_a_warning(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "damaged.mp4"
    make_video(clip, frames=30, audio=False)
    data = bytearray(clip.read_bytes())
    start = data.find(b"mdat") + len(data) // 2
    data[start : start + 400] = bytes(400)  # zeros over a stretch of coded frames
    clip.write_bytes(bytes(data))
    ref = case_files.add(clip)
    created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
    vault.redaction.add(
        officer,
        created.id,
        ItemKind.TRACK,
        {"shape": "box", "start": 0, "end": 5, "keyframes": [[0, 0, 0, 0.2, 0.2]]},
        "screen",
    )
    render = vault.redaction.render(officer, created.id)
    with vault.blobs.open(render.sha256) as handle, av.open(handle) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert 20 <= frames < 30
    with vault.blobs.open(render.report_json_sha256) as handle:
        assert any("damaged video packet" in w for w in json.load(handle)["warnings"])


def test_a_file_that_is_not_a_video_fails_with_a_reason(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "truncated.mp4"
    make_video(clip, frames=10)
    clip.write_bytes(clip.read_bytes()[:600])
    ref = case_files.add(clip)
    with pytest.raises(InvalidInput) as raised:
        created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
        vault.redaction.propose(officer, created.id, ["faces"])
    assert "cannot be read" in raised.value.message or "not supported" in raised.value.message


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_an_image_claiming_huge_dimensions_is_refused_before_decoding(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_claiming(50_000, 50_000))
    ref = case_files.add(bomb)
    created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
    with pytest.raises(InvalidInput, match="pixel limit"):
        vault.redaction.propose(officer, created.id, ["faces"])
    vault.redaction.add(officer, created.id, ItemKind.REGION, {"box": [0, 0, 0.5, 0.5]}, "face")
    with pytest.raises(InvalidInput, match="pixel limit"):
        vault.redaction.render(officer, created.id)
    view = vault.redaction.show(officer, created.id)
    assert view.renders == [] and [i.state for i in view.items] == [ItemState.ACCEPTED]
