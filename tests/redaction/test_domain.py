"""Geometry parsing never crashes on hostile input, and what it accepts is stable and bounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import ItemKind, Track, validate_geometry
from exhibits.redaction.matching import find_runs

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=10), inner, max_size=6),
    max_leaves=20,
)
geometry_keys = st.sampled_from(
    ["shape", "box", "page", "start", "end", "keyframes", "effect", "text", "boxes"]
)
geometries = st.dictionaries(geometry_keys, json_values, max_size=6)
number = st.floats(min_value=-0.5, max_value=1.5, allow_nan=False)
keyframe = st.tuples(
    st.floats(min_value=0, max_value=100), number, number, st.floats(0.001, 1), st.floats(0.001, 1)
)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(list(ItemKind)), geometry=geometries)
def test_any_geometry_is_either_refused_clearly_or_normalised_stably(kind, geometry):
    try:
        normalised = validate_geometry(kind, geometry)
    except InvalidInput:
        return
    assert validate_geometry(kind, normalised) == normalised


@settings(max_examples=100, deadline=None)
@given(frames=st.lists(keyframe, min_size=1, max_size=8), t=st.floats(min_value=0, max_value=100))
def test_a_track_s_box_stays_in_the_picture_and_inside_its_time_span(frames, t):
    try:
        track = Track.parse({"keyframes": [list(k) for k in frames]})
    except InvalidInput:
        return
    box = track.box_at(t)
    if not track.start - 1e-9 <= t <= track.end + 1e-9:
        assert box is None
        return
    assert box is not None
    assert box.x >= -1e-9 and box.x + box.w <= 1 + 1e-9 and box.y >= -1e-9 and box.y + box.h <= 1 + 1e-9


@given(words=st.lists(st.text(max_size=6), max_size=12), phrase=st.text(max_size=12))
def test_phrase_runs_spell_the_phrase(words, phrase):
    from exhibits.redaction.matching import normalise

    for i, j in find_runs(words, phrase):
        assert "".join(normalise(w) for w in words[i : j + 1]) == normalise(phrase)
