"""Redacting photos: faces proposed, reviewed, rendered without EXIF, GPS or thumbnail."""

from __future__ import annotations

import numpy as np
from PIL import Image

from exhibits.redaction.domain import ItemKind, ItemState
from tests.redaction.media import make_photo


def _rendered(vault, render) -> Image.Image:
    with vault.blobs.open(render.sha256) as handle:
        image = Image.open(handle)
        image.load()
        return image


def test_a_face_in_a_photo_is_proposed_reviewed_and_masked_with_metadata_removed(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    photo = tmp_path / "scene.jpg"
    x, y, w, h = make_photo(photo)
    ref = case_files.add(photo)
    original = Image.open(photo)
    assert original.getexif().get_ifd(0x8825), "the test photo must carry GPS"

    created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
    view, _ = vault.redaction.propose(officer, created.id, ["faces"])
    faces = [i for i in view.items if i.reason == "face"]
    assert len(faces) == 1 and faces[0].state == ItemState.PROPOSED
    bx, by, bw, bh = faces[0].geometry["box"]
    centre = ((bx + bw / 2) * 640, (by + bh / 2) * 480)
    assert x < centre[0] < x + w and y < centre[1] < y + h

    vault.redaction.review(officer, created.id, None, ItemState.ACCEPTED)
    render = vault.redaction.render(officer, created.id)

    redacted = _rendered(vault, render)
    assert redacted.size == (640, 480)
    assert redacted.format == "JPEG" and render.mime_type == "image/jpeg"
    assert len(redacted.getexif()) == 0 and "exif" not in redacted.info
    pixels = np.asarray(redacted.convert("L"))
    # The middle of the face is solid black; the far corner of the picture is untouched.
    assert pixels[y + h // 2 - 5 : y + h // 2 + 5, x + w // 2 - 5 : x + w // 2 + 5].max() < 20
    assert abs(int(pixels[470, 630]) - int(np.asarray(original.convert("L"))[470, 630])) < 12
    with vault.blobs.open(render.sha256) as handle:
        data = handle.read()
    assert b"TestCam" not in data and b"Exif" not in data
    # The original is untouched and still verifies.
    assert vault.blobs.rehash(render.parent_sha256) == render.parent_sha256


def test_a_png_with_a_hand_drawn_region_stays_png_and_lossless_outside_it(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    photo = tmp_path / "screen.png"
    make_photo(photo, fmt="PNG")
    ref = case_files.add(photo)
    created = vault.redaction.create_set(officer, case_files.case, ref, "public appeal")
    item = vault.redaction.add(
        officer, created.id, ItemKind.REGION, {"shape": "box", "box": [0.0, 0.0, 0.25, 0.25]}, "screen"
    )
    assert item.state == ItemState.ACCEPTED
    render = vault.redaction.render(officer, created.id)
    assert render.mime_type == "image/png"
    out = np.asarray(_rendered(vault, render).convert("RGB"))
    src = np.asarray(Image.open(photo).convert("RGB"))
    assert out[:120, :160].max() == 0
    assert np.array_equal(out[120:, 160:], src[120:, 160:])


def test_a_rendered_redaction_is_the_case_files_copy_for_its_purpose(case_files, tmp_path):
    """The case file (bundles for the defence) finds renders through the derivatives hook."""
    from exhibits.casefile.derivatives import derivatives_of, preferred_derivative

    vault, officer = case_files.vault, case_files.officer
    photo = tmp_path / "scene.jpg"
    make_photo(photo)
    ref = case_files.add(photo)
    created = vault.redaction.create_set(officer, case_files.case, ref, "defence")
    vault.redaction.add(
        officer, created.id, ItemKind.REGION, {"shape": "box", "box": [0.1, 0.1, 0.2, 0.2]}, "face"
    )
    render = vault.redaction.render(officer, created.id)
    with vault.reading() as session:
        found = derivatives_of(vault, session, [created.exhibit_id])
    assert [(d.sha256, d.purpose, d.kind) for d in found] == [(render.sha256, "defence", "redacted")]
    assert preferred_derivative(found, "Defence").sha256 == render.sha256
    assert preferred_derivative(found, "cps") is None
