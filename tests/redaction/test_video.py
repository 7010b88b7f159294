"""Redacting video: faces proposed as tracks cover the face in every frame; the render is a
full re-encode from the original at native size, timing and audio kept (muted where set)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

from exhibits.redaction.domain import ItemKind, ItemState
from tests.redaction.media import make_video


def _frames(path: Path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(path)) as container:
        return [(float(f.time), f.to_ndarray(format="bgr24")) for f in container.decode(video=0)]


def _audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return np.zeros(0)
        return np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])


def _render_file(vault, render, tmp_path) -> Path:
    out = tmp_path / "redacted.mp4"
    with vault.blobs.open(render.sha256) as source:
        out.write_bytes(source.read())
    return out


def test_faces_are_covered_in_every_frame_and_audio_is_bleeped(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "bwv.mp4"
    positions = make_video(clip, frames=12, fps=10)
    ref = case_files.add(clip)
    created = vault.redaction.create_set(officer, case_files.case, ref, "CPS charging file")
    view, _outcome = vault.redaction.propose(officer, created.id, ["faces"])
    tracks = [i for i in view.items if i.kind == ItemKind.TRACK]
    assert len(tracks) == 1, [t.geometry for t in tracks]
    vault.redaction.review(officer, created.id, None, ItemState.ACCEPTED)
    vault.redaction.add(
        officer, created.id, ItemKind.AUDIO, {"start": 0.3, "end": 0.7, "effect": "mute"}, "name"
    )
    render = vault.redaction.render(officer, created.id)
    assert render.mime_type == "video/mp4" and render.params["crf"] <= 18
    assert render.parent_sha256 == view.sha256

    out = _render_file(vault, render, tmp_path)
    original, redacted = _frames(clip), _frames(out)
    assert len(redacted) == len(original) == 12
    for (t0, _), (t1, image), (x, y) in zip(original, redacted, positions, strict=True):
        assert abs(t0 - t1) < 0.002
        assert image.shape == (240, 320, 3)
        # The centre 60% of the face is masked in every frame.
        core = image[y + 18 : y + 81, x + 18 : x + 72]
        assert core.mean() < 25, f"face visible at {t1:.2f}s"
    # Audio: silent inside the muted span, the tone outside it.
    samples = _audio(out)
    rate = 16000
    assert np.abs(samples[int(0.35 * rate) : int(0.65 * rate)]).max() < 0.01
    assert np.abs(samples[int(0.85 * rate) : int(1.0 * rate)]).max() > 0.3


def test_render_refuses_while_proposals_are_unreviewed(case_files, tmp_path):
    import pytest

    from exhibits.errors import Conflict

    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "bwv.mp4"
    make_video(clip, frames=6)
    ref = case_files.add(clip)
    created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
    vault.redaction.propose(officer, created.id, ["faces"])
    with pytest.raises(Conflict, match="not reviewed"):
        vault.redaction.render(officer, created.id)


def test_rotated_odd_sized_variable_rate_video_without_audio(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "phone.mp4"
    times = [0.0, 0.1, 0.15, 0.4, 0.45, 0.9]
    make_video(clip, width=321, height=241, frames=6, audio=False, rotation=90, times=times)
    ref = case_files.add(clip)
    created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
    # A region drawn on the displayed (upright) picture: its top-left quarter.
    vault.redaction.add(
        officer,
        created.id,
        ItemKind.TRACK,
        {"shape": "box", "start": 0, "end": 10, "keyframes": [[0, 0, 0, 0.5, 0.5]]},
        "screen",
    )
    render = vault.redaction.render(officer, created.id)
    out = _render_file(vault, render, tmp_path)
    frames = _frames(out)
    assert [round(t, 3) for t, _ in frames] == times
    image = frames[0][1]
    # Displayed upright: 241 wide, 321 tall, padded to even sizes.
    assert image.shape[:2] == (322, 242)
    assert image[:150, :110].max() < 30
    assert image[200:300, 150:230].mean() > 40
    with vault.blobs.open(render.report_json_sha256) as handle:
        report = json.load(handle)
    assert any("even sizes" in w for w in report["warnings"])
    assert report["redacted_sha256"] == render.sha256 and report["set_version"] == render.version
    assert render.params["rotation_applied"] == 90
