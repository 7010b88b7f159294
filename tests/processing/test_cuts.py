"""Stills and clips a person cuts from a video exhibit become new exhibits recording their
parent, the times and the tool, in both exhibits' custody trails."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from exhibits.processing.cuts import format_time, parse_time
from tests.processing.conftest import CASE, make_video


@pytest.fixture
def footage(vault, add, drain, tmp_path):
    outcome = add(make_video(tmp_path / "bwv.mp4", seconds=3, size="320x240"))[0]
    drain()
    return outcome


def test_a_clip_becomes_a_new_exhibit_recording_its_parent_times_and_tool(vault, footage, cli, drain):
    made = cli(
        "clip", "JS/1", "--case", CASE, "--start", "0.5", "--end", "00:00:02.000", "--json", user="1234"
    )
    assert made.exit_code == 0, made.stderr
    clip = json.loads(made.stdout)
    assert clip["ref"] == "JS/2" and clip["mime_type"] == "video/mp4"  # the producer's next number
    assert clip["description"] == "Clip 00:00:00.500 to 00:00:02.000 of JS/1"
    from exhibits.processing.media.probe import probe_duration

    with vault.processing.local_copy(clip["sha256"]) as path:
        assert probe_duration(path) == pytest.approx(1.5, abs=0.1)
    trail = json.loads(cli("log", "JS/2", "--case", CASE, "--json", user="1234").stdout)
    event = next(e for e in trail if e["action"] == "exhibit.clip")
    assert event["inputs"] == [footage.sha256] and event["outputs"] == [clip["sha256"]]
    derived = event["details"]["derived_from"]
    assert (derived["ref"], derived["start"], derived["end"]) == ("JS/1", "00:00:00.500", "00:00:02.000")
    assert derived["tool"].startswith("ffmpeg ") and derived["command"][0] == "ffmpeg"
    assert event["actor"]["collar"] == "1234"
    parent_trail = json.loads(cli("log", "JS/1", "--case", CASE, "--json", user="1234").stdout)
    assert any(
        e["action"] == "exhibit.clip.taken" and e["details"]["new_ref"] == "JS/2" for e in parent_trail
    )
    drain()  # the clip is evidence like any other: it is processed in its turn
    assert vault.processing.facts(clip["sha256"])["probe"]["video_codec"] == "h264"
    kinds = {d.kind for d in vault.processing.derivatives(footage.sha256)}
    assert "clip" in kinds


def test_a_still_is_a_lossless_frame_the_right_size(vault, footage, cli):
    made = cli(
        "still",
        "JS/1",
        "--case",
        CASE,
        "--at",
        "1.0",
        "--producer",
        "DC 2345 Amir Khan",
        "--json",
        user="1234",
    )
    assert made.exit_code == 0, made.stderr
    still = json.loads(made.stdout)
    assert still["ref"] == "AK/1" and still["mime_type"] == "image/png"
    with vault.blobs.open(still["sha256"]) as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (320, 240)


def test_cuts_outside_the_video_or_by_outsiders_are_refused_and_change_nothing(vault, footage, cli, people):
    past = cli("clip", "JS/1", "--case", CASE, "--start", "2", "--end", "9", user="1234")
    assert past.exit_code == 2 and "past the end of the video (00:00:03.000)" in past.stderr
    backwards = cli("clip", "JS/1", "--case", CASE, "--start", "2", "--end", "1", user="1234")
    assert backwards.exit_code == 2 and "must come after the start" in backwards.stderr
    outsider = cli("still", "JS/1", "--case", CASE, "--at", "1", user="3456")
    assert outsider.exit_code == 3  # told the case does not exist
    listing = json.loads(cli("ls", "--case", CASE, "--json", user="1234").stdout)
    assert [e["ref"] for e in listing["exhibits"]] == ["JS/1"]


@given(st.integers(min_value=0, max_value=99 * 3600 * 1000))
def test_times_read_back_as_written(milliseconds):
    seconds = milliseconds / 1000
    assert parse_time(format_time(seconds)) == pytest.approx(seconds, abs=0.0005)
    assert parse_time(str(seconds)) == pytest.approx(seconds, abs=0.0005)


@given(st.text(max_size=20))
def test_any_time_text_is_read_or_refused_cleanly(text):
    from exhibits.errors import InvalidInput

    with contextlib.suppress(InvalidInput):
        assert parse_time(text) >= 0
