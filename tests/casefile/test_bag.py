"""The BagIt manifest reader: whatever the bytes, it yields safe paths inside data/ or refuses."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits.casefile.bundle.bag import BagError, decode_path, encode_path, read_manifest, safe_relative

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40)


@given(st.lists(st.tuples(st.text("0123456789abcdefABCDEF", min_size=0, max_size=66), names), max_size=8))
@settings(max_examples=200, deadline=None)
def test_manifest_entries_are_inside_the_payload_or_refused(tmp_path_factory, entries):
    root = tmp_path_factory.mktemp("bag")
    text = "".join(f"{digest}  {encode_path(name)}\n" for digest, name in entries)
    (root / "manifest-sha256.txt").write_text(text, encoding="utf-8")
    try:
        parsed = read_manifest(root, "manifest-sha256.txt", under="data")
    except BagError:
        return
    for path, digest in parsed.items():
        pure = PurePosixPath(path)
        assert pure.parts[0] == "data" and ".." not in pure.parts and not pure.is_absolute()
        assert (root / path).resolve().is_relative_to(root.resolve())
        assert len(digest) == 64


@given(names)
def test_path_encoding_round_trips(name):
    assert decode_path(encode_path(name)) == name


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "data/../x", "data/a/../../b", "../data/x", "data\\..\\x", "data/./x", "data//x", "x"],
)
def test_unsafe_paths_are_refused(path):
    with pytest.raises(BagError):
        safe_relative(path, under="data")


def test_safe_paths_pass():
    assert safe_relative("data/evidence/JS-1.mp4", under="data") == "data/evidence/JS-1.mp4"
    assert Path(safe_relative("data/a b/%.txt", under="data")).name == "%.txt"
