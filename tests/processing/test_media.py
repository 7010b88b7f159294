"""The first processors on real files: phone photos and video the right way up, audio for
transcription, document text, and containers whose members become child exhibits."""

from __future__ import annotations

import email.message
import io
import json
import tarfile
import wave
import zipfile

import pytest
from PIL import Image

from exhibits.evidence.service import IngestRequest
from tests.processing.conftest import (
    CASE,
    PRODUCER,
    ffmpeg,
    jobs_of,
    make_heic,
    make_jpeg,
    make_pdf,
    make_rotated_mov,
    make_video,
)


def derivative_bytes(vault, sha256: str, kind: str, processor: str | None = None) -> bytes:
    found = vault.processing.derivatives(sha256, kind=kind, processor=processor)
    assert found, f"no {kind} derivative"
    with vault.blobs.open(found[0].sha256) as handle:
        return handle.read()


def test_an_iphone_heic_photo_is_described_and_shown_the_right_way_up(vault, add, drain, tmp_path):
    outcome = add(make_heic(tmp_path / "IMG_0413.HEIC", size=(64, 32)))[0]
    assert outcome.mime_type == "image/heic"
    drain()
    probe = vault.processing.facts(outcome.sha256)["probe"]
    assert (probe["device_make"], probe["device_model"]) == ("Apple", "iPhone 15 Pro")
    assert probe["created"] == "2026-11-20T21:40:00Z"
    assert probe["gps"] == pytest.approx({"latitude": 51.5007, "longitude": -0.1246, "altitude": 10.0})
    assert probe["stored_orientation"] == 6  # taken sideways...
    assert (probe["display_width"], probe["display_height"]) == (32, 64)  # ...shown upright
    web = Image.open(io.BytesIO(derivative_bytes(vault, outcome.sha256, "web")))
    assert web.size == (32, 64)
    top, bottom = web.getpixel((16, 4)), web.getpixel((16, 60))
    assert top[2] > 200 > top[0] and bottom[0] > 200 > bottom[2]  # blue half turned to the top
    assert not web.getexif()  # nothing of the original's metadata (GPS) in what is made for viewing
    thumbnail = Image.open(io.BytesIO(derivative_bytes(vault, outcome.sha256, "thumbnail")))
    assert thumbnail.format == "JPEG"


def test_a_rotated_hevc_mov_gets_an_upright_h264_proxy_at_most_720p(vault, add, drain, tmp_path):
    outcome = add(make_rotated_mov(tmp_path / "IMG_0414.MOV"))[0]
    drain()
    probe = vault.processing.facts(outcome.sha256)["probe"]
    assert probe["video_codec"] == "hevc" and probe["rotation"] in (90, 270)
    assert (probe["width"], probe["height"]) == (320, 240)
    assert (probe["display_width"], probe["display_height"]) == (240, 320)
    assert probe["device_make"] == "Apple" and probe["device_model"] == "iPhone 15 Pro"
    assert probe["gps"] == {"latitude": 51.5007, "longitude": -0.1246, "altitude": 10.0}
    assert probe["created"] == "2026-11-20T21:40:00Z"
    proxy = vault.processing.derivatives(outcome.sha256, kind="proxy")[0]
    with vault.processing.local_copy(proxy.sha256) as path:
        from exhibits.processing.media.probe import describe_av, ffprobe

        made, _ = describe_av(ffprobe(path, 60))
        head = path.read_bytes()[:4096]
    assert (made["video_codec"], made["audio_codec"]) == ("h264", "aac")
    assert (made["display_width"], made["display_height"]) == (240, 320) and made["rotation"] == 0
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # fast-start: index first


def test_proxies_are_scaled_down_to_720p_and_a_scrubbing_strip_is_made(vault, add, drain, tmp_path):
    outcome = add(make_video(tmp_path / "cctv.mp4", seconds=3, size="1920x1080", audio=False))[0]
    drain()
    proxy = vault.processing.derivatives(outcome.sha256, kind="proxy")[0]
    assert (proxy.facts["width"], proxy.facts["height"]) == (1280, 720)
    strip = vault.processing.derivatives(outcome.sha256, kind="thumbnail-strip")[0]
    assert strip.facts["frames"] == 1 and strip.facts["every_seconds"] == 10
    poster = Image.open(io.BytesIO(derivative_bytes(vault, outcome.sha256, "poster")))
    assert poster.size == (1280, 720)
    jobs = jobs_of(vault, outcome.sha256)
    assert jobs["audio"].status == "skipped" and jobs["audio"].error == "no audio track"


def test_a_999_call_recording_gets_a_16khz_mono_wav_for_transcription(vault, add, drain, tmp_path):
    call = tmp_path / "999-call.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-ar", "44100", "-ac", "2", str(call))
    outcome = add(call, source="interview")[0]
    drain()
    audio = vault.processing.derivatives(outcome.sha256, kind="audio", processor="audio")
    assert len(audio) == 1 and audio[0].mime_type == "audio/wav"
    with wave.open(io.BytesIO(derivative_bytes(vault, outcome.sha256, "audio", "audio"))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() == pytest.approx(32000, abs=400)
    proxy = vault.processing.derivatives(outcome.sha256, kind="proxy")[0]
    assert proxy.mime_type == "audio/mp4"


def test_document_text_from_pdf_docx_and_plain_text(vault, add, drain, tmp_path):
    import docx

    pdf = make_pdf(tmp_path / "statement.pdf", ["I saw a silver Ford Focus", "registration AB12 CDE"])
    word = tmp_path / "notes.docx"
    document = docx.Document()
    document.add_paragraph("Witness: Mrs Patel, 14 High Street")
    document.core_properties.author = "DC 2345 Amir Khan"
    document.save(word)
    plain = tmp_path / "note.txt"
    plain.write_text("Suspect seen at 21:40 on the CCTV.\n")
    outcomes = add(pdf, word, plain)
    drain()
    pdf_facts = vault.processing.facts(outcomes[0].sha256)["document_text"]
    assert pdf_facts["page_count"] == 2 and pdf_facts["title"] == "Statement"
    assert pdf_facts["pages"] == [
        {"page": 1, "text": "I saw a silver Ford Focus"},
        {"page": 2, "text": "registration AB12 CDE"},
    ]
    assert (
        derivative_bytes(vault, outcomes[0].sha256, "text")
        == b"I saw a silver Ford Focus\fregistration AB12 CDE"
    )
    assert vault.processing.facts(outcomes[1].sha256)["document_text"]["author"] == "DC 2345 Amir Khan"
    assert b"Mrs Patel" in derivative_bytes(vault, outcomes[1].sha256, "text")
    assert derivative_bytes(vault, outcomes[2].sha256, "text").startswith(b"Suspect seen at 21:40")


def make_eml(path, attachments: dict[str, tuple[bytes, str]]):
    message = email.message.EmailMessage()
    message["From"] = "Mrs Patel <patel@example.org>"
    message["To"] = "PC Smith <jane.smith@police.example>"
    message["Subject"] = "Photos of the car"
    message["Date"] = "Fri, 20 Nov 2026 22:05:00 +0000"
    message["Message-ID"] = "<0413@example.org>"
    message.set_content("Here are the photos I took of the car.\nIt was a silver Ford Focus.")
    for name, (data, mime) in attachments.items():
        main, sub = mime.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    path.write_bytes(message.as_bytes())
    return path


def test_email_attachments_become_child_exhibits_and_are_processed_in_turn(vault, add, drain, tmp_path, cli):
    photo = make_jpeg(tmp_path / "car.jpg", size=(80, 60)).read_bytes()
    eml = make_eml(
        tmp_path / "photos.eml", {"car.jpg": (photo, "image/jpeg"), "../../etc/passwd": (b"x", "text/plain")}
    )
    outcome = add(eml)[0]
    assert outcome.mime_type == "message/rfc822"
    drain()
    facts = vault.processing.facts(outcome.sha256)["email"]
    assert facts["subject"] == "Photos of the car" and facts["from"] == ["Mrs Patel <patel@example.org>"]
    assert facts["date"] == "2026-11-20T22:05:00+00:00"
    assert b"silver Ford Focus" in derivative_bytes(vault, outcome.sha256, "text")
    listing = json.loads(cli("ls", "--case", CASE, "--json", user="1234").stdout)
    refs = {e["ref"]: e for e in listing["exhibits"]}
    assert set(refs) == {"JS/1", "JS/1/1", "JS/1/2"}
    assert (
        refs["JS/1/1"]["original_name"] == "car.jpg"
        and refs["JS/1/1"]["parent_exhibit_id"] == outcome.exhibit_id
    )
    assert refs["JS/1/2"]["original_name"] == "passwd"  # a name, never a path
    child = refs["JS/1/1"]["sha256"]
    assert jobs_of(vault, child)["image-proxy"].status == "done"  # the attachment was processed too
    trail = json.loads(cli("log", "JS/1/1", "--case", CASE, "--json", user="1234").stdout)
    extract = next(e for e in trail if e["action"] == "exhibit.extract")
    assert extract["inputs"] == [outcome.sha256] and extract["details"]["parent_ref"] == "JS/1"
    assert extract["details"]["member_path"] == "car.jpg"
    assert any(e["action"] == "content.derive" and e["sha256"] == child for e in trail)


def zip_of(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_archive_members_and_nested_archives_become_children_in_every_case_that_holds_them(
    vault, people, drain, tmp_path, cli
):
    inner = zip_of(tmp_path / "inner.zip", {"statement.txt": b"I saw the car leave at 21:42."}).read_bytes()
    export = zip_of(
        tmp_path / "export.zip",
        {
            "cam1/frame.jpg": make_jpeg(tmp_path / "f.jpg").read_bytes(),
            "nested.zip": inner,
            "notes.txt": b"n",
        },
    )
    vault.evidence.create_case(people.officer, CASE, "Robbery, Station Road")
    first = vault.evidence.ingest_paths(
        people.officer, [export], IngestRequest(case=CASE, producer=PRODUCER)
    )[0]
    drain()
    listing = json.loads(cli("ls", "--case", CASE, "--json", user="1234").stdout)
    refs = {e["ref"]: e["original_name"] for e in listing["exhibits"]}
    assert refs == {
        "JS/1": "export.zip",
        "JS/1/1": "frame.jpg",
        "JS/1/2": "nested.zip",
        "JS/1/3": "notes.txt",
        "JS/1/2/1": "statement.txt",
    }
    # The same export arrives in another case later: no reprocessing, and its own child exhibits.
    vault.evidence.create_case(people.investigator, "42/77777/26", "Assault, Mill Lane")
    second = vault.evidence.ingest_paths(
        people.investigator, [export], IngestRequest(case="42/77777/26", producer="DC 2345 Amir Khan")
    )[0]
    assert second.sha256 == first.sha256
    assert drain() == 0
    theirs = json.loads(cli("ls", "--case", "42/77777/26", "--json", user="2345").stdout)
    assert sorted(e["ref"] for e in theirs["exhibits"]) == ["AK/1", "AK/1/1", "AK/1/2", "AK/1/2/1", "AK/1/3"]


def test_unassigned_media_gets_child_media_and_child_exhibits_once_attached(
    vault, people, drain, tmp_path, cli
):
    export = zip_of(tmp_path / "dock.zip", {"clip.txt": b"dock export index"})
    outcome = vault.evidence.ingest_paths(
        people.officer, [export], IngestRequest(device_id="BWV-00731", incident_ref="0413-21112026")
    )[0]
    drain()
    media = {m.original_name: m for m in vault.evidence.list_media(people.officer, unassigned_only=False)}
    assert media["clip.txt"].device_id == "BWV-00731"  # children inherit what was known of the arrival
    vault.evidence.create_case(people.officer, CASE, "Robbery, Station Road")
    vault.evidence.attach(people.officer, outcome.media_id, CASE, PRODUCER)
    listing = json.loads(cli("ls", "--case", CASE, "--json", user="1234").stdout)
    assert sorted(e["ref"] for e in listing["exhibits"]) == ["JS/1", "JS/1/1"]


def test_tar_links_and_climbing_names_are_not_followed(vault, case, add, drain, tmp_path):
    path = tmp_path / "seized.tar"
    with tarfile.open(path, "w") as archive:
        for name, data in (("../../../tmp/evil.txt", b"climbing"), ("notes.txt", b"ordinary")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("shadow")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        archive.addfile(link)
    outcome = add(path)[0]
    drain()
    job = jobs_of(vault, outcome.sha256)["archive"]
    assert job.status == "done"
    assert any("climbs out of the archive" in w for w in job.warnings)
    assert any("'shadow': a link to '/etc/shadow' (not followed)" in w for w in job.warnings)
    state = vault.processing.exhibit_processing(case, outcome.exhibit_id)
    assert [m.member_path for m in state.members] == ["../../../tmp/evil.txt", "notes.txt"]
    assert not (tmp_path.parent / "tmp" / "evil.txt").exists()
