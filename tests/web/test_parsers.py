"""The header and cursor parsers, property-tested: they accept what they write and refuse the rest
with a clear client error, never anything else."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exhibits.errors import InvalidInput
from exhibits.uploads.tus import METADATA_KEYS, BadTusRequest, encode_metadata, parse_checksum, parse_metadata
from exhibits.web.content import RangeNotSatisfiable, content_disposition, parse_range, safe_filename
from exhibits.web.pagination import decode_cursor, encode_cursor

text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=200)


@given(st.dictionaries(st.sampled_from(sorted(METADATA_KEYS)), text, max_size=len(METADATA_KEYS)))
def test_tus_metadata_round_trips(values):
    assert parse_metadata(encode_metadata(values)) == values


@given(st.text(max_size=300))
def test_tus_metadata_never_fails_otherwise(header):
    with contextlib.suppress(BadTusRequest):
        parse_metadata(header)


@given(st.text(max_size=120))
def test_checksum_headers_are_parsed_or_refused(header):
    try:
        result = parse_checksum(header)
    except BadTusRequest:
        return
    assert result is not None and result[0] in ("sha1", "sha256")


def test_checksum_examples():
    digest = base64.b64encode(bytes(20)).decode()
    assert parse_checksum(f"sha1 {digest}") == ("sha1", bytes(20))
    with pytest.raises(BadTusRequest):
        parse_checksum(f"sha256 {digest}")  # wrong length for the algorithm


@given(st.text(max_size=40), st.integers(min_value=1, max_value=10**12))
def test_ranges_are_within_the_content_or_refused(header, size):
    try:
        span = parse_range(header, size)
    except RangeNotSatisfiable:
        return
    if span is not None:
        first, last = span
        assert 0 <= first <= last < size


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_valid_ranges(size, first):
    if first < size:
        assert parse_range(f"bytes={first}-", size) == (first, size - 1)
    else:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(f"bytes={first}-", size)


@given(st.text(max_size=300))
def test_content_disposition_is_always_a_safe_header(name):
    header = content_disposition(name, "video/mp4")
    assert all(32 <= ord(c) < 127 for c in header)
    assert "/" not in safe_filename(name) and "\\" not in safe_filename(name)
    assert header.count('"') == 2


@given(st.text(max_size=64), st.text(max_size=64))
def test_cursors_round_trip(a, b):
    assert decode_cursor(encode_cursor(a, b), (str, str)) == [a, b]


@given(st.text(max_size=100))
def test_foreign_cursors_are_refused(cursor):
    with contextlib.suppress(InvalidInput):
        decode_cursor(cursor, (str, str))
