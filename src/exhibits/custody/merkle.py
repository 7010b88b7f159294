"""Merkle tree hashing, proofs and proof verification as specified in RFC 9162 section 2.1.

Pure functions over hashes; where stored nodes come from is the caller's business
(``NodeReader``). Leaves are hashed as SHA-256(0x00 || data), interior nodes as
SHA-256(0x01 || left || right), and the empty tree's root is SHA-256("").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A proof does not verify, or its arguments are impossible."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- building and proving -------------------------------------------------------------

# A node reader returns the hash of the perfect subtree at (level, index), covering leaves
# [index * 2**level, (index + 1) * 2**level). Level 0 is the leaf hashes.
NodeReader = Callable[[int, int], bytes]


def range_hash(read: NodeReader, start: int, end: int) -> bytes:
    """MTH of leaves [start, end); start must be aligned as RFC 9162's recursion aligns it."""
    size = end - start
    if size <= 0:
        raise ValueError("empty range")
    if size & (size - 1) == 0 and start % size == 0:
        return read(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(range_hash(read, start, start + k), range_hash(read, start + k, end))


def root_hash(read: NodeReader, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else range_hash(read, 0, size)


def inclusion_proof(read: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(range_hash(read, start + k, end))
            end = start + k
        else:
            path.append(range_hash(read, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(read: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 section 2.1.4.1."""
    if not 0 <= old_size <= new_size:
        raise ValueError("old size must not exceed new size")
    if old_size in (0, new_size):
        return []
    return _subproof(read, old_size, 0, new_size, True)


def _subproof(read: NodeReader, m: int, start: int, end: int, complete: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [range_hash(read, start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(read, m, start, start + k, complete), range_hash(read, start + k, end)]
    return [*_subproof(read, m - k, start + k, end, False), range_hash(read, start, start + k)]


class MemoryTree:
    """An in-memory tree over a list of leaf hashes: for tests, bundles and small logs."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        self._rebuild()

    def _rebuild(self) -> None:
        level = 0
        while len(self.levels[level]) > 1:
            below = self.levels[level]
            above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(self.levels) == level + 1:
                self.levels.append(above)
            else:
                self.levels[level + 1] = above
            level += 1

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        self._rebuild()

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def read(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self.read, self.size if size is None else size)


class Frontier:
    """The compact range of a growing tree: roots of its perfect subtrees, largest first.

    Appending is O(1) amortised and yields every perfect subtree completed on the way,
    so a verifier can stream millions of leaves and still check stored nodes and roots.
    """

    __slots__ = ("size", "stack")

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[bytes] = []

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns (level, index, hash) of subtrees completed (level >= 1)."""
        completed = []
        node = leaf
        index = self.size
        level = 0
        stack = self.stack
        while index & 1:
            node = node_hash(stack.pop(), node)
            level += 1
            index >>= 1
            completed.append((level, index, node))
        stack.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        node = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            node = node_hash(left, node)
        return node


# --- verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ---------------------------------


def _check_hashes(*hashes: bytes | Sequence[bytes]) -> None:
    for item in hashes:
        values = [item] if isinstance(item, bytes | bytearray) else item
        for value in values:
            if len(value) != HASH_SIZE:
                raise ProofError("a hash in the proof is not 32 bytes")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if index < 0 or size <= 0 or index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(leaf, proof)
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree requires")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``leaf`` is leaf ``index`` of the tree with ``root``."""
    _check_hashes(root)
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless the tree (new_size, new_root) extends (old_size, old_root)."""
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"a tree of size {new_size} cannot extend one of size {old_size}")
    if old_size == 0:
        raise ProofError("consistency with the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError("trees of equal size have different roots")
        return
    _check_hashes(old_root, new_root, proof)
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the trees require")
    if fr != old_root:
        raise ProofError("consistency proof does not reproduce the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not reproduce the new root")
