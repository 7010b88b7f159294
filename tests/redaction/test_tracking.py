"""Assisted tracking and automatic plate proposals on a clip with a moving plate."""

from __future__ import annotations

from exhibits.redaction.domain import Box, ItemKind, Track
from exhibits.redaction.service import ProposalInputs
from tests.redaction.media import make_plate_video


def _coverage(track: Track, boxes, fps: float, width: int, height: int) -> list[float]:
    covered = []
    for i, (bx, by, bw, bh) in enumerate(boxes):
        box = track.box_at(i / fps)
        if box is None:
            covered.append(0.0)
            continue
        x1, y1, x2, y2 = box.pixels(width, height)
        inter = max(0, min(x2, bx + bw) - max(x1, bx)) * max(0, min(y2, by + bh) - max(y1, by))
        covered.append(inter / (bw * bh))
    return covered


def test_a_box_drawn_on_one_frame_is_carried_through_the_whole_clip_and_can_be_adjusted(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "street.mp4"
    boxes = make_plate_video(clip)
    ref = case_files.add(clip)
    created = vault.redaction.create_set(officer, case_files.case, ref, "public appeal")
    x, y, w, h = boxes[10]
    item = vault.redaction.track(officer, created.id, 1.0, Box(x / 480, y / 270, w / 480, h / 270), "plate")
    track = Track.parse(item.geometry)
    assert track.start == 0.0 and abs(track.end - 1.9) < 1e-6
    assert min(_coverage(track, boxes, 10, 480, 270)) > 0.98
    # A reviewer moves the box at one frame: a keyframe is added there, the rest is kept.
    adjusted = vault.redaction.adjust(officer, created.id, item.number, at=0.5, box=Box(0.1, 0.1, 0.2, 0.1))
    moved = Track.parse(adjusted.geometry)
    assert moved.box_at(0.5).as_list() == [0.1, 0.1, 0.2, 0.1]
    assert moved.box_at(1.9) == track.box_at(1.9)
    assert vault.redaction.show(officer, created.id).version == 3


def test_plates_are_proposed_from_text_and_their_reads_returned_as_facts(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    clip = tmp_path / "street.mp4"
    boxes = make_plate_video(clip, width=640, height=360, text="KX65 ZTL")
    ref = case_files.add(clip)
    created = vault.redaction.create_set(officer, case_files.case, ref, "public appeal")
    view, outcome = vault.redaction.propose(officer, created.id, ["plates"], ProposalInputs())
    plates = [i for i in view.items if i.reason == "plate"]
    assert len(plates) == 1 and plates[0].kind == ItemKind.TRACK and plates[0].note == "reads KX65ZTL"
    assert min(_coverage(Track.parse(plates[0].geometry), boxes, 10, 640, 360)) > 0.9
    reads = outcome.facts["plates"]
    assert reads and {r["value"] for r in reads} == {"KX65ZTL"} and reads[0]["type"] == "vrm"


def test_the_plate_processor_returns_reads_as_entity_facts(tmp_path):
    from exhibits.hooks import plugin_manager
    from exhibits.processing.processor import Context

    classes = [c for group in plugin_manager().hook.exhibits_processors() for c in group]
    (processor,) = [c() for c in classes if c.name == "redaction-plates"]
    clip = tmp_path / "street.mp4"
    make_plate_video(clip, width=640, height=360, text="KX65 ZTL", frames=10)
    assert processor.applies_to("video/mp4") and not processor.applies_to("application/pdf")
    result = processor.run(Context("0" * 64, "video/mp4", clip, tmp_path, processor.params()))
    assert {e["value"] for e in result.facts["entities"]} == {"KX65ZTL"}
    assert result.facts["entities"][0]["source"]["kind"] == "plate-read"
