"""Custody leaves are RFC 8785 JSON: checked against an independent JCS implementation."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits.custody.canonical import NotCanonical, canonical, is_canonical

keys = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_our_encoding_is_rfc8785(value):
    assert canonical(value) == rfc8785.dumps(value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, values, max_size=8))
def test_encoding_round_trips_and_is_recognised(value):
    data = canonical(value)
    assert is_canonical(data)
    assert not is_canonical(data + b" ")


@pytest.mark.parametrize(
    "value",
    [1.5, {"x": 0.1}, 2**60, {"é": 1}, {1: "a"}, object(), "lone \udc80 surrogate"],
)
def test_values_outside_the_interoperable_subset_are_refused(value):
    with pytest.raises(NotCanonical):
        canonical(value)


def test_hostile_text_is_encoded_not_interpreted():
    name = "../../etc/passwd\x00\u202eexe.mp4\n" + "\U0001f600"
    assert canonical({"name": name}) == rfc8785.dumps({"name": name})
