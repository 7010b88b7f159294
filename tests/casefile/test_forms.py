"""Form types, their disclosability, and the typed, versioned, signed records."""

from __future__ import annotations

import pytest

from exhibits.casefile.forms import FORM_TYPES, Disclosure, defence_may_see
from exhibits.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.casefile.conftest import REVERSE, STATEMENT

# The table of standards.md section 1, written out here rather than derived from the code.
EXPECTED_DISCLOSABILITY = {
    "MG1": False,
    "MG2": False,
    "MG3": False,
    "MG3A": False,
    "MG4": True,
    "MG5": True,
    "MG6": False,
    "MG6A": False,
    "MG6B": False,
    "MG6C": True,
    "MG6D": False,
    "MG6E": False,
    "MG9": False,
    "MG10": False,
    "MG11": True,
    "MG11R": False,
    "MG12": True,
    "MG15": True,
    "MG16": True,
    "MG17": False,
    "MG18": True,
    "MG19": False,
    "MG19E": True,
    "MG20": False,
    "MG21": False,
    "SDC": True,
}


def test_every_form_type_has_its_disclosability():
    assert set(FORM_TYPES) == set(EXPECTED_DISCLOSABILITY)
    for code, defence in EXPECTED_DISCLOSABILITY.items():
        assert defence_may_see(code) is defence, code
    assert FORM_TYPES["MG6A"].disclosure == Disclosure.UNUSED
    assert FORM_TYPES["MG19E"].disclosure == Disclosure.EDITED


def test_statement_served_and_reverse_parts_are_separate_records(world):
    records = world.vault.casefile.records
    statement = records.create(world.oic, world.case, "MG11", STATEMENT)
    reverse = records.create(world.oic, world.case, "MG11R", REVERSE, linked_id=statement.id)
    assert "home_address" not in statement.data and "dates_to_avoid" not in statement.data
    assert reverse.data["postcode"] == "RG1 1AA"
    assert reverse.data["phones"] == ["+447911123456"]
    with pytest.raises(InvalidInput, match="home_address"):
        records.create(world.oic, world.case, "MG11", {**STATEMENT, "home_address": "x"})
    with pytest.raises(InvalidInput, match="dates_to_avoid"):
        records.create(
            world.oic,
            world.case,
            "MG11R",
            {k: v for k, v in REVERSE.items() if k != "dates_to_avoid"},
            linked_id=statement.id,
        )


def test_exhibits_produced_must_exist_in_the_case(world):
    with pytest.raises(InvalidInput, match="no exhibit JS/99"):
        world.vault.casefile.records.create(
            world.oic, world.case, "MG11", {**STATEMENT, "exhibits_produced": ["JS/99"]}
        )


def test_signed_statement_is_immutable_and_amendment_keeps_the_earlier_one(world):
    records = world.vault.casefile.records
    draft = records.create(world.oic, world.case, "MG11", STATEMENT)
    draft = records.update(
        world.oic, draft.id, {**STATEMENT, "body": STATEMENT["body"] + "\n\nHe wore a red hat."}
    )
    assert draft.version == 2
    signed = records.sign(world.oic, draft.id, signed_by="Alice Witness")
    assert signed.state == "signed"
    assert signed.signature["data_sha256"] == signed.data_sha256
    assert signed.signature["pages"] >= 1
    with pytest.raises(Conflict, match="new statement"):
        records.update(world.oic, draft.id, STATEMENT)
    new = records.amend_statement(world.oic, draft.id, {**STATEMENT, "body": "Corrected account."})
    assert new.supersedes_id == draft.id and new.state == "draft"
    old = records.get(world.oic, draft.id)
    assert old.state == "superseded" and old.data["body"].endswith("red hat.")
    register = world.vault.casefile.disclosure.schedule(world.oic, world.case, "MG6C")
    assert [(i.item_no, i.record_id) for i in register] == [(1, draft.id)]
    history = records.history(world.oic, draft.id)
    assert [v["version"] for v in history] == [1, 2]


def test_mg5_is_locked_on_supervisor_sign_off(world, vault):
    records = vault.casefile.records
    mg5 = records.create(
        world.oic, world.case, "MG5", {"anticipated_plea": "NGAP", "headline": "Burglary at night."}
    )
    with pytest.raises(PermissionDenied):
        records.sign_off(world.oic, mg5.id)
    vault.users.assign(world.oic, world.case, "5678", "viewer")
    world.supervisor.forget_assignments()
    locked = records.sign_off(world.supervisor, mg5.id, note="Parts 1-7 accurate")
    assert locked.state == "locked" and locked.signature["signed_by"] == "Sam Sergeant (5678)"
    with pytest.raises(Conflict, match="locked"):
        records.update(world.oic, mg5.id, {"anticipated_plea": "GAP", "headline": "Changed."})


def test_people_identifiers_are_validated_and_normalised(world):
    records = world.vault.casefile.records
    person = records.add_person(
        world.oic,
        world.case,
        {
            "role": "suspect",
            "given_names": "John",
            "surname": "Doe",
            "date_of_birth": "1990-02-03",
            "pnc_id": "2021/0012345M",
            "nino": "ab 12 34 56 c",
            "postcode": "sw1a1aa",
            "phone": "020 7946 0018",
        },
    )
    assert person.identifiers == {"pnc_id": "21/12345M", "nino": "AB123456C"}
    assert person.postcode == "SW1A 1AA" and person.phone == "+442079460018"
    for field, value, message in [
        ("pnc_id", "2021/0012345A", "mod-23"),
        ("nino", "GB123456A", "National Insurance"),
        ("postcode", "QQ1 1AA", "postcode"),
        ("phone", "12345", "telephone"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            records.add_person(
                world.oic, world.case, {"role": "witness", "given_names": "A", "surname": "B", field: value}
            )


def test_unused_register_numbers_across_schedules_with_prefilled_descriptions(world, vault):
    disclosure = vault.casefile.disclosure
    items = disclosure.add_exhibits(world.oic, world.case, ["JS/1", "JS/2"])
    assert [i.item_no for i in items] == [1, 2]
    assert (
        "Body-worn video" in items[0].description
        and "produced by PC 1234 Jane Smith as JS/1" in items[0].description
    )
    assert "captured 20/11/2026 23:05:00 GMT" in items[0].description
    sensitive = disclosure.add_item(
        world.oic,
        world.case,
        schedule="MG6D",
        description="Informant log",
        location="Covert unit safe",
        sensitivity_reason="CHIS identity",
    )
    assert sensitive.item_no == 3
    with pytest.raises(InvalidInput, match="reason it is sensitive"):
        disclosure.add_item(world.oic, world.case, schedule="MG6D", description="x", location="y")
    with pytest.raises(Conflict, match="already on the register"):
        disclosure.add_exhibits(world.oic, world.case, ["JS/1"])
    # MG12 lists only the evidence, not unused material
    with vault.reading() as session:
        from exhibits.evidence.models import Case

        case = session.query(Case).one()
        assert [r["ref"] for r in vault.casefile.records.mg12(session, case.id)] == ["JS/3"]


def test_prosecutor_decisions_keep_their_history(world, vault):
    disclosure = vault.casefile.disclosure
    disclosure.add_exhibits(world.oic, world.case, ["JS/1"])
    with pytest.raises(NotFound):  # no share yet: the prosecutor has no part in the case
        disclosure.decide(world.prosecutor, world.case, 1, "D")
    with pytest.raises(PermissionDenied):  # the police do not make the prosecutor's decisions
        disclosure.decide(world.oic, world.case, 1, "D")
    vault.casefile.sharing.create(world.oic, world.case, "CPS1", forms=["MG6C"])
    world.prosecutor.forget_assignments()  # the share counts from the prosecutor's next request
    disclosure.decide(world.prosecutor, world.case, 1, "I", "want to see it")
    item = disclosure.decide(world.prosecutor, world.case, 1, "D", "undermines identification")
    assert item.decision == "D"
    assert [h["decision"] for h in item.history] == ["I", "D"]
    with pytest.raises(InvalidInput, match="D, CND, I"):
        disclosure.decide(world.prosecutor, world.case, 1, "PII")


def test_mg6d_nil_return_is_signed_and_refused_when_false(world, vault):
    records = vault.casefile.records
    nil = records.create(world.oic, world.case, "MG6D", {})
    nil = records.sign(world.oic, nil.id, signed_by="PC 1234 Jane Smith (disclosure officer)")
    _, pdf, data = vault.casefile.render(world.oic, world.case, "MG6D")
    assert data["nil_return"]["state"] == "signed" and pdf.startswith(b"%PDF")
    vault.casefile.disclosure.add_item(
        world.oic,
        world.case,
        schedule="MG6D",
        description="Intelligence report",
        location="Intel unit",
        sensitivity_reason="Source protection",
    )
    assert records.get(world.oic, nil.id).state == "superseded"
    with pytest.raises(Conflict, match="nil return would be false"):
        records.create(world.oic, world.case, "MG6D", {})


@pytest.mark.sqlite_only  # edits the table behind the application's back, as an attacker would
def test_verify_detects_an_edited_form_record(world, vault):
    from sqlalchemy import text

    from exhibits.vault.verify import verify_vault

    records = vault.casefile.records
    statement = records.sign(
        world.oic, records.create(world.oic, world.case, "MG11", STATEMENT).id, signed_by="Alice Witness"
    )
    assert verify_vault(vault, world.oic.__class__.from_user(_user(vault, "ADMIN")), check_blobs=False).ok
    with (
        vault.db.write_engine.begin() as connection
    ):  # casefile_records is not append-only: its state changes
        connection.execute(
            text("UPDATE casefile_records SET data_sha256 = :h WHERE id = :i"),
            {"h": "0" * 64, "i": statement.id},
        )
    report = verify_vault(vault, world.oic.__class__.from_user(_user(vault, "ADMIN")), check_blobs=False)
    assert any("does not match its current version" in p for p in report.problems)


@pytest.mark.sqlite_only  # edits the table behind the application's back, as an attacker would
def test_verify_checks_form_records_against_the_leaves_its_log_pass_collected(world, vault):
    """A version rewritten together with its own hash still differs from what the log signed;
    the leaves it is compared with come from verify's one pass over the log."""
    import hashlib

    from exhibits.casefile.integrity import RECORD_ACTIONS
    from exhibits.vault.verify import verify_vault
    from tests.vault.tamper import tamper

    records = vault.casefile.records
    record = records.create(world.oic, world.case, "MG11", STATEMENT)
    admin = world.oic.__class__.from_user(_user(vault, "ADMIN"))
    report = verify_vault(vault, admin, check_blobs=False)
    assert report.ok
    assert set(RECORD_ACTIONS) <= set(report.log.leaves)
    assert report.log.leaves["casefile.record.create"]
    data = '{"forged":true}'
    tamper(
        vault.settings.vault,
        "UPDATE casefile_record_versions SET data = :d, data_sha256 = :h WHERE record_id = :i",
        params={"d": data, "h": hashlib.sha256(data.encode()).hexdigest(), "i": record.id},
    )
    report = verify_vault(vault, admin, check_blobs=False)
    assert any("does not match the hash the custody log recorded" in p for p in report.problems)


def _user(vault, collar):
    from exhibits.access.models import User

    with vault.reading() as session:
        user = session.query(User).filter_by(collar=collar).one()
        session.expunge(user)
        return user
