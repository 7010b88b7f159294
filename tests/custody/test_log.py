"""The custody log in the database: proofs it serves verify against the checkpoints it signs."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exhibits.custody import merkle
from exhibits.custody.events import EventClass
from exhibits.custody.note import Checkpoint, Verifier


def _b(value: str) -> bytes:
    return base64.b64decode(value)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.integers(min_value=1, max_value=180), min_size=1, max_size=6), data=st.data())
def test_served_proofs_verify_against_the_signed_head(vault, admin, batches, data):
    verifier = Verifier.from_vkey(vault.settings.log_key)
    sizes = []
    for count in batches:
        vault.write(
            lambda ctx, count=count: [
                vault.record(ctx, admin, "test.event", EventClass.ADMINISTRATION, details={"n": i})
                for i in range(count)
            ]
        )
        with vault.reading() as session:
            head = vault.log.head(session)
        checkpoint, _ = Checkpoint.open(head.note, [verifier])
        sizes.append(checkpoint.size)
        assert checkpoint.root == head.root
    size = sizes[-1]
    for seq in data.draw(st.lists(st.integers(min_value=0, max_value=size - 1), min_size=1, max_size=5)):
        proof = vault.custody.inclusion(seq)
        merkle.verify_inclusion(
            seq, proof["tree_size"], _b(proof["leaf_hash"]), [_b(p) for p in proof["proof"]], checkpoint.root
        )
        assert merkle.leaf_hash(proof["leaf"].encode()) == _b(proof["leaf_hash"])
    for old in sizes[:-1]:
        proof = vault.custody.consistency(old, size)
        merkle.verify_consistency(
            old, size, _b(proof["old_root"]), checkpoint.root, [_b(p) for p in proof["proof"]]
        )


def test_stored_nodes_agree_with_a_tree_built_in_memory(vault, admin):
    vault.write(
        lambda ctx: [
            vault.record(ctx, admin, "bulk", EventClass.ADMINISTRATION, details={"i": i}) for i in range(700)
        ]
    )
    with vault.reading() as session:
        from sqlalchemy import select

        from exhibits.custody.models import CustodyEventRow, CustodyNode

        leaves = list(session.scalars(select(CustodyEventRow.leaf_hash).order_by(CustodyEventRow.seq)))
        tree = merkle.MemoryTree(leaves)
        nodes = list(session.scalars(select(CustodyNode)))
        assert nodes and all(tree.read(n.level, n.idx) == n.hash for n in nodes)
        assert vault.log.root_at(session, len(leaves)) == tree.root()
        assert vault.log.root_at(session, 513) == tree.root(513)
