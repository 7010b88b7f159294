"""Sharing with partners: exactly what was shared, read-only, until expiry or revocation,
every access logged with the partner's identity."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select

from exhibits.custody.models import CustodyEventRow
from exhibits.errors import InvalidInput, NotFound, PermissionDenied
from tests.casefile.conftest import REVERSE, STATEMENT


@pytest.fixture
def forms(world, vault):
    records = vault.casefile.records
    statement = records.sign(
        world.oic, records.create(world.oic, world.case, "MG11", STATEMENT).id, signed_by="Alice Witness"
    )
    reverse = records.create(world.oic, world.case, "MG11R", REVERSE, linked_id=statement.id)
    return statement, reverse


def test_defence_sees_only_what_was_shared_and_never_a_non_disclosable_form(world, vault, forms, tmp_path):
    statement, reverse = forms
    sharing = vault.casefile.sharing
    with pytest.raises(InvalidInput, match="never served on the defence"):
        sharing.create(world.oic, world.case, "DEF1", records=[reverse.id])
    share = sharing.create(
        world.oic,
        world.case,
        "DEF1",
        exhibits=["JS/1"],
        records=[statement.id],
        forms=["MG12"],
        allow_download=True,
        expires_in=timedelta(days=7),
    )
    defence = world.defence
    assert [i["exhibit"] for i in sharing.partner_items(defence, world.case) if i["kind"] == "exhibit"] == [
        "JS/1"
    ]
    assert vault.casefile.records.get(defence, statement.id).form == "MG11"
    with pytest.raises(NotFound):  # the reverse does not exist, as far as the defence can tell
        vault.casefile.records.get(defence, reverse.id)
    assert [r.id for r in vault.casefile.records.list(defence, world.case)] == [statement.id]
    with pytest.raises(NotFound):
        vault.casefile.render(defence, world.case, reverse.id)
    with pytest.raises(NotFound):
        vault.casefile.render(defence, world.case, "MG6D")
    with pytest.raises(NotFound):  # not shared
        sharing.open_content(defence, world.case, "JS/2")
    with pytest.raises(NotFound):  # the defence has no part in the case beyond the share
        vault.evidence.list_exhibits(defence, world.case)
    with pytest.raises(NotFound):
        vault.casefile.records.list_people(defence, world.case)
    out = tmp_path / "js1.mp4"
    result = sharing.open_content(defence, world.case, "JS/1", out=out, justification="defence case review")
    assert out.read_bytes() == world.contents["bwv.mp4"] and result["sha256"]
    with vault.reading() as session:
        leaf = orjson.loads(
            session.scalars(
                select(CustodyEventRow.leaf).where(CustodyEventRow.action == "share.content.download")
            ).one()
        )
    assert leaf["actor"]["collar"] == "DEF1" and leaf["details"]["organisation"] == "Smith & Co Solicitors"
    assert leaf["details"]["share"] == share.id and leaf["justification"] == "defence case review"
    # revocation takes effect at once
    sharing.revoke(world.oic, share.id, "case discontinued")
    with pytest.raises(NotFound):
        sharing.open_content(defence, world.case, "JS/1")
    with pytest.raises(NotFound):
        vault.casefile.records.get(defence, statement.id)


def test_view_only_shares_refuse_download_and_expire(world, vault, forms, tmp_path):
    sharing = vault.casefile.sharing
    sharing.create(world.oic, world.case, "CPS1", exhibits=["JS/2"], expires_in=timedelta(minutes=5))
    assert sharing.open_content(world.prosecutor, world.case, "JS/2")["size"] > 0
    with pytest.raises(PermissionDenied, match="viewing only"):
        sharing.open_content(world.prosecutor, world.case, "JS/2", out=tmp_path / "x")
    later = vault.now() + timedelta(minutes=6)
    import exhibits.casefile.access as access

    original = access.utcnow
    access.utcnow = lambda: later
    try:
        with pytest.raises(NotFound):
            sharing.open_content(world.prosecutor, world.case, "JS/2")
    finally:
        access.utcnow = original


def test_only_case_owners_share_and_only_with_partners(world, vault, forms):
    sharing = vault.casefile.sharing
    with pytest.raises(PermissionDenied):  # an investigator works the case but does not hand it over
        sharing.create(world.investigator, world.case, "DEF1", exhibits=["JS/1"])
    with pytest.raises(NotFound):
        sharing.create(world.outsider, world.case, "DEF1", exhibits=["JS/1"])
    with pytest.raises(InvalidInput, match="not an active prosecutor or defence"):
        sharing.create(world.oic, world.case, "3456", exhibits=["JS/1"])
