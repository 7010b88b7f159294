"""Parsers of untrusted metadata and names, and the sizing rules, over arbitrary input."""

from __future__ import annotations

import math

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from exhibits.processing.media import metadata as md
from exhibits.processing.media.archives import suspicious
from exhibits.processing.media.video import fit
from exhibits.processing.registry import Registry
from exhibits.processing.runner import jsonable
from exhibits.processing.settings import ProcessingSettings


def test_quicktime_locations_read_as_decimal_degrees():
    assert md.gps_from_iso6709("+51.5007-000.1246+010.000/") == {
        "latitude": 51.5007,
        "longitude": -0.1246,
        "altitude": 10.0,
    }
    assert md.gps_from_iso6709("-33.8688+151.2093/") == {"latitude": -33.8688, "longitude": 151.2093}
    assert md.gps_from_iso6709("+91.0000+000.0000/") is None  # not on Earth
    assert md.gps_from_iso6709("Somewhere in Leeds") is None


@given(st.text(max_size=60))
def test_any_location_text_gives_a_position_on_earth_or_nothing(text):
    gps = md.gps_from_iso6709(text)
    if gps is not None:
        assert -90 <= gps["latitude"] <= 90 and -180 <= gps["longitude"] <= 180


@given(
    st.one_of(st.none(), st.text(max_size=40), st.binary(max_size=40)),
    st.one_of(st.none(), st.text(max_size=8)),
)
def test_any_exif_time_gives_iso_8601_or_nothing(value, offset):
    from datetime import datetime

    result = md.exif_time(value, offset)
    if result is not None:
        datetime.fromisoformat(result.replace("Z", "+00:00"))


def test_exif_gps_with_zero_denominators_is_not_a_position():
    assert md.gps_from_exif({1: "N", 2: ((51, 0), (30, 0), (2, 0)), 3: "W", 4: (0.0, 7.0, 28.56)}) is None
    assert md.gps_from_exif({1: "N", 2: (51.0, 30.0, 2.52), 3: "W", 4: (0.0, 7.0, 28.56)}) == {
        "latitude": 51.5007,
        "longitude": -0.1246,
    }


@given(st.integers(1, 20000), st.integers(1, 20000))
@example(2, 3853)  # a sliver: its short side cannot shrink below 2 pixels
def test_proxies_fit_720p_either_way_round_even_and_never_larger(width, height):
    w, h = fit(width, height, 1280, 720)
    assert w % 2 == 0 and h % 2 == 0
    assert max(w, h) <= max(1280, 2) and min(w, h) <= max(720, 2)
    assert w <= max(width, 2) and h <= max(height, 2)
    box_w, box_h = (1280, 720) if width >= height else (720, 1280)
    scale = min(1.0, box_w / width, box_h / height)
    if min(width, height) * scale >= 2:  # the aspect ratio is kept, within rounding to even pixels
        assert abs(w / h - width / height) / (width / height) <= 4 / min(w, h) + 0.01


def test_member_names_that_would_escape_are_recognised():
    assert suspicious("../../etc/passwd") == "a path that climbs out of the archive (..)"
    assert suspicious("/etc/passwd") == "an absolute path"
    assert suspicious("C:\\Windows\\system32") == "an absolute path"
    assert suspicious("cam1/..hidden/frame.jpg") is None
    assert suspicious("cam1/frame.jpg") is None


@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
))  # fmt: skip
def test_anything_a_processor_returns_becomes_storable_json(value):
    safe = jsonable(value)
    text = orjson.dumps(safe)
    assert b"\\u0000" not in text  # PostgreSQL's JSON cannot hold NUL
    assert all(not isinstance(x, float) or math.isfinite(x) for x in _leaves(orjson.loads(text)))


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_the_plan_puts_dependencies_first_and_drops_what_cannot_run():
    from exhibits.processing.media import BUILT_IN

    registry = Registry(BUILT_IN, ProcessingSettings())
    assert [p.name for p in registry.plan("video/mp4")] == ["probe", "audio", "proxy"]
    assert [p.name for p in registry.plan("image/heic")] == ["probe", "image-proxy"]
    assert [p.name for p in registry.plan("application/zip")] == ["archive"]
    assert [p.name for p in registry.plan("video/mp4", only=["proxy"])] == ["probe", "proxy"]
    disabled = Registry(BUILT_IN, ProcessingSettings(disabled=["probe"]))
    assert [p.name for p in disabled.plan("video/mp4")] == ["audio", "proxy"]  # they probe for themselves
    assert ProcessingSettings(disabled="ocr, transcription").disabled == ["ocr", "transcription"]  # from env
    tuned = Registry(BUILT_IN, ProcessingSettings(queues={"probe": "fast"}, time_limits={"proxy": 7200}))
    assert tuned.planned("probe").queue == "fast" and tuned.planned("proxy").time_limit == 7200


def test_a_dependency_that_does_not_apply_is_simply_absent():
    from exhibits.processing.media import BUILT_IN
    from exhibits.processing.processor import Processor

    class Entities(Processor):  # reads whichever text-like facts exist for the content
        name, version, accepts = "entities", "1", ("*/*",)
        depends_on = ("probe", "document_text")

        def run(self, ctx):
            raise NotImplementedError

    registry = Registry([*BUILT_IN, Entities], ProcessingSettings())
    assert [p.name for p in registry.plan("application/pdf")] == ["document_text", "entities"]
    assert [p.name for p in registry.plan("image/jpeg")] == ["probe", "entities", "image-proxy"]


def test_settings_come_from_the_environment_too(monkeypatch, vault):
    monkeypatch.setenv("EXHIBITS_PROCESSING__WORKERS", "3")
    monkeypatch.setenv("EXHIBITS_PROCESSING__TIME_LIMITS__PROXY", "600")
    settings = vault.settings.section("processing", ProcessingSettings)
    assert settings.workers == 3 and settings.time_limits == {"proxy": 600}
