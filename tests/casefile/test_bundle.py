"""Open bundles: what each recipient gets, BagIt and CASE/UCO validity, and verification."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exhibits.casefile.bundle.verify import FAILED, UNVERIFIED, VERIFIED, verify_bag
from exhibits.custody.note import Verifier
from tests.casefile.conftest import REVERSE, STATEMENT
from tests.casefile.derivatives_plugin import Derivatives


@pytest.fixture
def derivatives(vault):
    plugin = Derivatives(vault)
    vault.plugins.register(plugin)
    yield plugin
    vault.plugins.unregister(plugin)


@pytest.fixture
def casefile(world, vault, derivatives):
    """A case file ready to hand over: a signed statement with its reverse, an MG5, unused
    material (one item marked D by the prosecutor, one sensitive), and a defence redaction."""
    records = vault.casefile.records
    statement = records.create(world.oic, world.case, "MG11", STATEMENT)
    reverse = records.create(world.oic, world.case, "MG11R", REVERSE, linked_id=statement.id)
    statement = records.sign(world.oic, statement.id, signed_by="Alice Witness")
    mg5 = records.create(
        world.oic, world.case, "MG5", {"anticipated_plea": "NGAP", "headline": "Night burglary."}
    )
    disclosure = vault.casefile.disclosure
    disclosure.add_exhibits(world.oic, world.case, ["JS/2"])  # item 1: the photo, unused
    disclosure.add_item(
        world.oic,
        world.case,
        schedule="MG6D",
        description="Informant contact log",
        location="Covert unit",
        sensitivity_reason="CHIS",
    )
    mg6e = records.create(
        world.oic,
        world.case,
        "MG6E",
        {"entries": [{"item_no": 1, "schedule": "MG6C", "reason": "Shows the door intact"}]},
    )
    vault.casefile.sharing.create(world.oic, world.case, "CPS1", forms=["MG6C"])
    disclosure.decide(world.prosecutor, world.case, 1, "D", "might assist the defence")
    _, exhibits = vault.evidence.list_exhibits(world.oic, world.case)
    by_ref = {e.ref: e for e in exhibits}
    cctv = by_ref["JS/3"]
    proxy = derivatives.make(
        world.oic, cctv.id, cctv.sha256, b"proxy " * 500, kind="proxy", tool="ffmpeg", tool_version="6.1"
    )
    redacted = derivatives.make(
        world.oic, cctv.id, cctv.sha256, b"blurred faces " * 500, kind="redacted", purpose="defence"
    )
    return {
        "statement": statement,
        "reverse": reverse,
        "mg5": mg5,
        "mg6e": mg6e,
        "proxy": proxy,
        "redacted": redacted,
        "exhibits": by_ref,
    }


def _export(vault, world, recipient, tmp_path) -> Path:
    out = tmp_path / f"bundle-{recipient}"
    vault.casefile.bundles.export(world.oic, world.case, recipient, out)
    return out


def _manifest(root: Path) -> dict[str, str]:
    lines = (root / "manifest-sha256.txt").read_text().splitlines()
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}


def _trusted(vault) -> list[str]:
    return [vault.settings.log_key]


def test_each_recipient_gets_what_is_defined(vault, world, casefile, tmp_path):
    cps = _manifest(_export(vault, world, "cps", tmp_path))
    defence = _manifest(_export(vault, world, "defence", tmp_path))
    court = _manifest(_export(vault, world, "court", tmp_path))
    c = casefile
    hashes = lambda m: set(m.values())  # noqa: E731
    originals = {e.sha256 for e in c["exhibits"].values()}
    # the CPS: every original and derivative, non-disclosable forms included
    assert originals | {c["proxy"].sha256, c["redacted"].sha256} <= hashes(cps)
    for record in ("reverse", "mg6e", "statement", "mg5"):
        assert any(c[record].id in path for path in cps), record
    assert {"data/forms/MG6D.pdf", "data/forms/MG12.json", "data/forms/MG6C.pdf"} <= set(cps)
    # the defence: served evidence, redacted where a defence redaction exists, MG5, MG6C, MG12, D items
    assert c["redacted"].sha256 in hashes(defence)
    assert c["exhibits"]["JS/3"].sha256 not in hashes(defence)  # the unredacted original stays behind
    assert c["proxy"].sha256 not in hashes(defence)
    assert c["exhibits"]["JS/1"].sha256 in hashes(defence)
    assert c["exhibits"]["JS/2"].sha256 in hashes(defence)  # unused, but marked D by the prosecutor
    assert any(c["statement"].id in p for p in defence) and any(c["mg5"].id in p for p in defence)
    assert not any(c["reverse"].id in p or c["mg6e"].id in p for p in defence)
    assert "data/forms/MG6D.pdf" not in defence and "data/forms/MG6C.pdf" in defence
    defence_text = b"".join(
        (tmp_path / "bundle-defence" / p).read_bytes() for p in defence if p.endswith(".json")
    ).decode()
    assert (
        "Acacia Avenue" not in defence_text and "Informant" not in defence_text and "CHIS" not in defence_text
    )
    # the court: served evidence only
    assert hashes(court) >= {c["exhibits"]["JS/1"].sha256}
    assert c["exhibits"]["JS/2"].sha256 not in hashes(court)
    assert not any(c["mg5"].id in p for p in court) and "data/forms/MG6C.pdf" not in court


def test_bundle_validates_with_bagit_and_verifies(vault, world, casefile, tmp_path):
    import bagit

    root = _export(vault, world, "defence", tmp_path)
    assert (root / "bagit.txt").read_text().startswith("BagIt-Version: 1.0\n")
    bag = bagit.Bag(str(root))
    bag.validate(processes=1)
    report = verify_bag(root, _trusted(vault))
    assert report.status == VERIFIED, report.text()
    assert report.events_checked > 5
    untrusted = verify_bag(root, [])
    assert untrusted.status == UNVERIFIED and "fingerprint" in untrusted.trust_problem
    fingerprint = Verifier.from_vkey(vault.settings.log_key).fingerprint
    assert verify_bag(root, [fingerprint]).status == VERIFIED


def test_graph_describes_files_provenance_and_events(vault, world, casefile, tmp_path):
    root = _export(vault, world, "cps", tmp_path)
    graph = json.loads((root / "case.jsonld").read_text())["@graph"]
    manifest = _manifest(root)
    files = {}
    for node in graph:
        if node["@type"] == "uco-observable:File":
            name = sha = None
            for facet in node["uco-core:hasFacet"]:
                name = facet.get("uco-observable:fileName", name)
                for h in facet.get("uco-observable:hash", []):
                    sha = h["uco-types:hashValue"]["@value"]
            files.setdefault(name, []).append((node["@id"], sha))
    for path, sha in manifest.items():
        assert [s for _, s in files[path]] == [sha], path
    assert len([f for f in files if f]) == len(manifest)
    ids = {sha: node_id for entries in files.values() for node_id, sha in entries}
    links = {
        (n["uco-core:source"][0]["@id"], n["uco-core:target"]["@id"])
        for n in graph
        if n["@type"] == "uco-core:Relationship" and n["uco-core:kindOfRelationship"] == "Derived_From"
    }
    parent = casefile["exhibits"]["JS/3"].sha256
    for d in (casefile["proxy"], casefile["redacted"]):
        assert (ids[d.sha256], ids[parent]) in links
    events = (root / "custody/events.jsonl").read_text().splitlines()
    actions = [n for n in graph if n["@type"] == "case-investigation:InvestigativeAction"]
    assert len(actions) == len(events)


@pytest.mark.slow
def test_graph_passes_case_validate(vault, world, casefile, tmp_path):
    root = _export(vault, world, "defence", tmp_path)
    tool = Path(sys.executable).with_name("case_validate")
    result = subprocess.run(
        [str(tool), str(root / "case.jsonld")], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Conforms: True" in result.stdout


def _fresh(tmp_path, vault, world, name="b") -> Path:
    root = tmp_path / name
    vault.casefile.bundles.export(world.oic, world.case, "defence", root)
    return root


def _first_payload(root: Path) -> Path:
    return root / sorted(_manifest(root))[0]


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("modify", "has been changed"),
        ("remove", "missing from the bundle"),
        ("extra", "not in its manifest"),
        ("proof", "not in the signed log"),
        ("traversal", "points outside the bag"),
        ("gigantic", "implausible"),
        ("unknown-key", "not validly signed"),
    ],
)
def test_bad_bundles_fail_with_a_precise_reason(vault, world, casefile, tmp_path, damage, reason):
    root = _fresh(tmp_path, vault, world)
    target = _first_payload(root)
    if damage == "modify":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 1
        target.write_bytes(bytes(data))
    elif damage == "remove":
        target.unlink()
    elif damage == "extra":
        (root / "data" / "evidence" / "note.txt").write_text("added later")
    elif damage == "proof":
        proofs = json.loads((root / "custody/proofs.json").read_text())
        seq = next(iter(proofs["inclusion"]))
        proofs["inclusion"][seq][0] = "A" * 43 + "="
        (root / "custody/proofs.json").write_text(json.dumps(proofs))
    elif damage == "traversal":
        with (root / "manifest-sha256.txt").open("a") as handle:
            handle.write(f"{'0' * 64}  data/../../etc/passwd\n")
    elif damage == "gigantic":
        with (root / "manifest-sha256.txt").open("a") as handle:
            line = f"{'0' * 64}  data/x\n"
            handle.write(line * (64 * 2**20 // len(line) + 1))
    elif damage == "unknown-key":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from exhibits.custody.note import Checkpoint, Signer

        note = (root / "custody/checkpoint.txt").read_text()
        forged = Signer(vault.settings.log_origin, Ed25519PrivateKey.generate())
        (root / "custody/checkpoint.txt").write_text(Checkpoint.unverified(note).sign([forged]))
    report = verify_bag(root, _trusted(vault))
    assert report.status == FAILED, report.text()
    assert any(reason in p for p in report.problems), report.problems
    # import refuses it and changes nothing
    before = _counts(vault)
    from exhibits.errors import InvalidInput

    with pytest.raises(InvalidInput, match="refused"):
        vault.casefile.bundles.import_bundle(
            world.oic, root, crime_ref="IMPORT/1", trusted_keys=_trusted(vault)
        )
    assert _counts(vault) == before


def _counts(vault):
    from sqlalchemy import func, select

    from exhibits.custody.models import CustodyEventRow
    from exhibits.evidence.models import Case, Exhibit

    with vault.reading() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t)) for t in (Case, Exhibit, CustodyEventRow)
        )


def test_import_creates_the_case_with_provenance_and_logs_it(vault, world, casefile, tmp_path):
    root = tmp_path / "bundle.zip"
    vault.casefile.bundles.export(world.oic, world.case, "cps", root)
    result = vault.casefile.bundles.import_bundle(
        world.oic, root, crime_ref="99/1/26", trusted_keys=_trusted(vault)
    )
    _, exhibits = vault.evidence.list_exhibits(world.oic, "99/1/26")
    shas = {e.sha256 for e in exhibits}
    assert {e.sha256 for e in casefile["exhibits"].values()} <= shas
    assert casefile["redacted"].sha256 in shas
    assert len(result["exhibits"]) == len(exhibits)
    # a derivative became a child of its parent exhibit
    assert any(e.ref.count("/") == 2 for e in exhibits)
    trail = vault.custody.case_trail(world.oic, "99/1/26")
    imported = [e for e in trail if e.action == "bundle.import"]
    assert len(imported) == 1 and imported[0].leaf["details"]["events_checked"] == result["events_verified"]
    with pytest.raises(Exception, match="already exists"):
        vault.casefile.bundles.import_bundle(
            world.oic, root, crime_ref="99/1/26", trusted_keys=_trusted(vault)
        )


def test_verify_bundle_runs_in_a_minimal_environment(vault, world, casefile, tmp_path):
    """A fresh virtual environment holding only Exhibits' source and `cryptography`: no
    database driver, no SQLAlchemy, no account."""
    root = _fresh(tmp_path, vault, world)
    env_dir = tmp_path / "minimal"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    libs = tmp_path / "libs"
    libs.mkdir()
    import cffi
    import cryptography

    import exhibits

    for module in (exhibits, cryptography, cffi):
        (libs / Path(module.__file__).parent.name).symlink_to(Path(module.__file__).parent)
    for backend in Path(cffi.__file__).parent.parent.glob("_cffi_backend*"):
        (libs / backend.name).symlink_to(backend)
    Path(site, "exhibits-minimal.pth").write_text(str(libs) + "\n")
    fingerprint = Verifier.from_vkey(vault.settings.log_key).fingerprint
    run = lambda *args: subprocess.run(  # noqa: E731
        [str(python), "-I", "-m", "exhibits.casefile.bundle.verify", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(tmp_path)},
    )
    ok = run("--trusted-key", fingerprint)
    assert ok.returncode == VERIFIED, ok.stdout + ok.stderr
    assert "Result: VERIFIED" in ok.stdout and "present, unchanged" in ok.stdout
    unverified = run()
    assert unverified.returncode == UNVERIFIED and "NOT VERIFIED" in unverified.stdout
    modules = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import sys, exhibits.casefile.bundle.verify; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy','orjson','pydantic','typer')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert modules.stdout.strip() == "[]"
    shutil.rmtree(env_dir)
