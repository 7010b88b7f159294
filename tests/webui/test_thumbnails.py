"""Thumbnails on the case page (and the place a photo was taken) come from the processing pipeline's derivatives, through
``processing.open_derivative`` (authorised, logged, never cached); a restricted exhibit's
picture is as restricted as the exhibit."""

from __future__ import annotations

import io
import re

import piexif
from PIL import Image

from exhibits.evidence.service import IngestRequest
from exhibits.processing.worker import EmbeddedWorker


def _photo() -> bytes:
    """A phone photo with its place in EXIF (51.5 N, 0.125 W: Trafalgar Square)."""
    gps = {
        piexif.GPSIFD.GPSLatitudeRef: b"N",
        piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (0, 1)),
        piexif.GPSIFD.GPSLongitudeRef: b"W",
        piexif.GPSIFD.GPSLongitude: ((0, 1), (7, 1), (30, 1)),
    }
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(out, "JPEG", exif=piexif.dump({"GPS": gps}))
    return out.getvalue()


def test_case_page_thumbnails_respect_restrictions(sign_in, vault, people):
    case = vault.evidence.create_case(people.officer, "42/2024/610", "Criminal damage to a bus shelter")
    outcome = vault.evidence.ingest_stream(
        people.officer,
        io.BytesIO(_photo()),
        "IMG_0001.jpg",
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
    )
    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()
    vault.users.assign(people.officer, case.id, "2345", "investigator")

    officer = sign_in("1234")
    page = officer.get(f"/cases/{case.id}")
    found = re.search(rf'src="(/exhibits/{outcome.exhibit_id}/derivatives/[0-9a-f]{{64}})"', page.text)
    assert found, "the case page shows no thumbnail"
    picture = officer.get(found.group(1))
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert picture.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(picture.content)).size[0] <= 320
    # The original is not served by the picture route, only derivatives that are pictures.
    assert officer.get(f"/exhibits/{outcome.exhibit_id}/derivatives/{outcome.sha256}").status_code == 404

    # Where it was taken, from the photo's EXIF, as a link for the phone's map app.
    exhibit_page = officer.get(f"/exhibits/{outcome.exhibit_id}").text
    assert 'href="geo:51.50000,-0.12500"' in exhibit_page

    investigator = sign_in("2345")
    assert investigator.get(found.group(1)).status_code == 200
    vault.access.need_to_know.restrict(people.officer, outcome.exhibit_id, ["1234"], "victim's home")
    assert investigator.get(found.group(1)).status_code == 404
    assert outcome.exhibit_id not in investigator.get(f"/cases/{case.id}").text
    assert officer.get(found.group(1)).status_code == 200
