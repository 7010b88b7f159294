"""Merkle proofs: third-party conformance vectors, and properties of our own proofs."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits.custody import merkle


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _vectors(root, kind: str):
    for path in sorted((root / kind).glob("*/*.json")):
        yield path, json.loads(path.read_text())


def test_inclusion_conformance_vectors(merkle_vectors):
    checked = 0
    for path, case in _vectors(merkle_vectors, "inclusion"):
        proof = [_b64(p) for p in case["proof"] or []]
        try:
            merkle.verify_inclusion(
                case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), proof, _b64(case["root"])
            )
            accepted = True
        except merkle.ProofError:
            accepted = False
        assert accepted is not case["wantErr"], f"{path.parent.name}/{path.name}: {case['desc']}"
        checked += 1
    assert checked > 50


def test_consistency_conformance_vectors(merkle_vectors):
    checked = 0
    for path, case in _vectors(merkle_vectors, "consistency"):
        proof = [_b64(p) for p in case["proof"] or []]
        try:
            merkle.verify_consistency(
                case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof
            )
            accepted = True
        except merkle.ProofError:
            accepted = False
        assert accepted is not case["wantErr"], f"{path.parent.name}/{path.name}: {case['desc']}"
        checked += 1
    assert checked > 50


def naive_root(leaves: list[bytes]) -> bytes:
    """RFC 9162's MTH written as the recursive definition, for comparison."""
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=300))
def test_roots_and_proofs_agree_with_the_definition(data):
    tree = merkle.MemoryTree(merkle.leaf_hash(d) for d in data)
    frontier = merkle.Frontier()
    for leaf in tree.levels[0]:
        frontier.append(leaf)
    root = naive_root(data)
    assert tree.root() == root == frontier.root()
    size = len(data)
    for index in range(0, size, max(1, size // 7)):
        proof = merkle.inclusion_proof(tree.read, index, size)
        merkle.verify_inclusion(index, size, tree.levels[0][index], proof, root)
    for old in range(1, size + 1, max(1, size // 7)):
        proof = merkle.consistency_proof(tree.read, old, size)
        merkle.verify_consistency(old, size, naive_root(data[:old]), root, proof)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=2, max_value=200),
    st.data(),
)
def test_any_altered_proof_is_rejected(size, data):
    tree = merkle.MemoryTree(merkle.leaf_hash(bytes([i % 256, i // 256])) for i in range(size))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(tree.read, index, size)
    if not proof:
        return
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    altered = list(proof)
    flipped = bytearray(altered[position])
    flipped[bit // 8] ^= 1 << (bit % 8)
    altered[position] = bytes(flipped)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(index, size, tree.levels[0][index], altered, tree.root())
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(index, size, tree.levels[0][index], proof[:-1], tree.root())


def test_frontier_reports_each_completed_subtree_once():
    frontier = merkle.Frontier()
    completed = []
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(16)]
    for leaf in leaves:
        completed += frontier.append(leaf)
    tree = merkle.MemoryTree(leaves)
    assert len(completed) == 15  # every interior node of a perfect 16-leaf tree
    for level, index, value in completed:
        assert tree.read(level, index) == value
