"""``exhibits verify-bundle``: check an Exhibits bundle with nothing but this file's imports.

Runs in a minimal install (Python standard library and ``cryptography``): no database, no
account, no network. It checks that every file is present, unchanged and accounted for;
that every custody event in the bundle is included in the force's log under the signed
checkpoint the bundle carries; and that the checkpoint is signed by a key *you* trust.
A key that only the bundle itself carries proves nothing (anyone can make a key): such a
bundle is reported as unverified unless you trust that key's fingerprint, which the force
publishes.

Exit status: 0 verified; 1 intact but not verified (untrusted key); 2 failed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from exhibits.casefile.bundle.bag import (
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    BagError,
    hash_file,
    read_manifest,
    read_tag_fields,
    walk_files,
)
from exhibits.custody import merkle
from exhibits.custody.note import Checkpoint, NoteError, Verifier, open_note

TRUSTED_KEYS_ENV = "EXHIBITS_TRUSTED_KEYS"  # file of pinned verifier keys, one per line
DEFAULT_TRUST_FILE = Path.home() / ".config" / "exhibits" / "trusted-keys"
CHECKPOINT = "custody/checkpoint.txt"
EVENTS = "custody/events.jsonl"
PROOFS = "custody/proofs.json"
KEYS = "custody/keys.txt"
SUMMARY = "exhibits-bundle.json"
GRAPH = "case.jsonld"
MAX_ZIP_MEMBERS = 1_000_000
MAX_EVENTS_BYTES = 512 * 2**20

VERIFIED, UNVERIFIED, FAILED = 0, 1, 2


@dataclass
class BundleReport:
    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    trust_problem: str | None = None
    files_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    signer: Verifier | None = None
    summary: dict = field(default_factory=dict)

    @property
    def status(self) -> int:
        if self.problems:
            return FAILED
        return UNVERIFIED if self.trust_problem else VERIFIED

    def text(self) -> str:
        lines = ["Exhibits bundle verification", ""]
        lines += [f"  - {fact}" for fact in self.facts]
        if self.problems:
            lines += ["", "Problems found:"]
            lines += [f"  ! {p}" for p in self.problems]
        if self.trust_problem and not self.problems:
            lines += ["", f"  ? {self.trust_problem}"]
        verdict = {
            VERIFIED: "VERIFIED: every file is intact and its custody record is part of the force's "
            "signed log.",
            UNVERIFIED: "NOT VERIFIED: the contents are intact, but nothing shows who signed the custody "
            "record.",
            FAILED: "FAILED: this bundle has been altered or is incomplete; do not rely on it.",
        }[self.status]
        return "\n".join([*lines, "", f"Result: {verdict}", ""])


def load_trusted(given: list[str], bundle_keys: list[Verifier]) -> tuple[list[Verifier], list[str]]:
    """Keys the user trusts: verifier keys given or pinned, or fingerprints that select one
    of the keys the bundle carries. Returns (keys, unreadable entries)."""
    entries = list(given)
    pinned = os.environ.get(TRUSTED_KEYS_ENV)
    trust_file = Path(pinned) if pinned else DEFAULT_TRUST_FILE
    if trust_file.is_file():
        entries += [
            line.strip()
            for line in trust_file.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
    trusted: list[Verifier] = []
    bad: list[str] = []
    for entry in entries:
        text = entry
        if "+" not in entry and Path(entry).is_file():
            text = Path(entry).read_text().strip()
        if "+" in text:
            try:
                trusted.append(Verifier.from_vkey(text))
            except NoteError:
                bad.append(entry)
            continue
        wanted = text.lower().replace(":", "")
        matches = [k for k in bundle_keys if k.fingerprint == wanted]
        if matches:
            trusted.extend(matches)
        elif len(wanted) == 64 and all(c in "0123456789abcdef" for c in wanted):
            pass  # a fingerprint of some other key: it simply trusts nothing here
        else:
            bad.append(entry)
    return trusted, bad


def _read_small(root: Path, name: str, limit: int = 1 << 20) -> str:
    path = root / name
    if path.is_symlink() or not path.is_file():
        raise BagError(f"{name} is missing")
    if path.stat().st_size > limit:
        raise BagError(f"{name} is implausibly large")
    return path.read_text(encoding="utf-8")


def verify_bag(root: Path, trusted_keys: list[str] = (), workers: int = 2) -> BundleReport:  # type: ignore[assignment]
    report = BundleReport()
    try:
        _verify(root, report, list(trusted_keys), workers)
    except BagError as exc:
        report.problems.append(str(exc))
    return report


def _verify(root: Path, report: BundleReport, trusted_keys: list[str], workers: int) -> None:
    declaration = read_tag_fields(root / "bagit.txt")
    version = (declaration.get("BagIt-Version") or [""])[0]
    if version not in ("1.0", "0.97"):
        raise BagError(f"bagit.txt declares BagIt version {version!r}, not 1.0")
    info = read_tag_fields(root / "bag-info.txt") if (root / "bag-info.txt").exists() else {}
    payload = read_manifest(root, PAYLOAD_MANIFEST, under="data")
    tags = read_manifest(root, TAG_MANIFEST, under=None)
    for name in tags:
        if name.startswith("data/") or name in (TAG_MANIFEST,):
            raise BagError(f"the tag manifest lists {name!r}, which is not a tag file")
    try:
        report.summary = json.loads(_read_small(root, SUMMARY, 64 * 2**20))
    except (ValueError, BagError):
        report.summary = {}
    summary = report.summary
    if summary:
        report.facts.append(
            f"Bundle of case {summary.get('urn') or summary.get('crime_ref')} ({summary.get('title')}) made "
            f"for {summary.get('recipient_label', summary.get('recipient'))} by {summary.get('force')} "
            f"on {summary.get('created_at')}, with {summary.get('tool')}."
        )
        if summary.get("classification"):
            report.facts.append(f"Marked {summary['classification']}.")

    # 1. files: nothing missing, nothing extra, nothing changed
    present = set(walk_files(root, "data"))
    for name in sorted(present - set(payload)):
        report.problems.append(f"{name} is in the bundle but not in its manifest (an extra file)")
    missing = sorted(set(payload) - present)
    for name in missing:
        report.problems.append(f"{name} is listed in the manifest but missing from the bundle")
    tag_present = {n for n in tags if (root / n).exists()}
    for name in sorted(set(tags) - tag_present):
        report.problems.append(f"{name} is listed in the tag manifest but missing")
    for name in sorted(present):
        if (root / name).is_symlink():
            report.problems.append(f"{name} is a link, not a file: refused")
    to_hash = [(n, d) for n, d in payload.items() if n in present and not (root / n).is_symlink()]
    to_hash += [(n, d) for n, d in tags.items() if n in tag_present]

    def check(item: tuple[str, str]) -> tuple[str, str, str, int]:
        name, wanted = item
        actual, size = hash_file(root / name)
        return name, wanted, actual, size

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for name, wanted, actual, size in pool.map(check, sorted(to_hash, key=lambda i: i[0])):
            report.files_checked += 1
            report.bytes_checked += size
            if actual != wanted:
                report.problems.append(
                    f"{name} has been changed: its SHA-256 is {actual}, the manifest says {wanted}"
                )
    oxum = (info.get("Payload-Oxum") or [""])[0]
    if oxum:
        _, _, count = oxum.partition(".")
        if count.isdigit() and int(count) != len(payload):
            report.problems.append(
                f"bag-info.txt says {count} payload files but the manifest lists {len(payload)}"
            )
    if not report.problems:
        report.facts.append(
            f"All {len(payload)} files ({report.bytes_checked:,} bytes with the tag files) are present, "
            "unchanged (SHA-256 checked) and nothing was added."
        )
    _check_graph(root, payload, report)
    _check_custody(root, report, trusted_keys)


def _check_graph(root: Path, payload: dict[str, str], report: BundleReport) -> None:
    try:
        graph = json.loads(_read_small(root, GRAPH, 256 * 2**20))
    except (ValueError, BagError) as exc:
        report.problems.append(f"the CASE/UCO description (case.jsonld) cannot be read: {exc}")
        return
    described: dict[str, str] = {}
    nodes = {n.get("@id"): n for n in graph.get("@graph", []) if isinstance(n, dict)}
    for node in nodes.values():
        if node.get("@type") != "uco-observable:File":
            continue
        name = sha = None
        for facet in node.get("uco-core:hasFacet", []):
            name = facet.get("uco-observable:fileName", name)
            for digest in facet.get("uco-observable:hash", []):
                sha = (digest.get("uco-types:hashValue") or {}).get("@value", sha)
        if name:
            described[name] = (sha or "").lower()
    for name, sha in payload.items():
        if described.get(name) != sha:
            report.problems.append(f"case.jsonld does not describe {name} with the manifest's SHA-256")


def _check_custody(root: Path, report: BundleReport, trusted_keys: list[str]) -> None:
    try:
        note = _read_small(root, CHECKPOINT, 1 << 16)
        carried_text = _read_small(root, KEYS, 1 << 20)
        proofs = json.loads(_read_small(root, PROOFS, 512 * 2**20))
        events_text = _read_small(root, EVENTS, MAX_EVENTS_BYTES)
    except (BagError, ValueError) as exc:
        report.problems.append(f"the custody record is incomplete: {exc}")
        return
    carried: list[Verifier] = []
    for line in carried_text.splitlines():
        if line.strip():
            try:
                carried.append(Verifier.from_vkey(line))
            except NoteError:
                report.problems.append("custody/keys.txt holds a malformed key")
    try:
        checkpoint = Checkpoint.unverified(note)
        carried_ok = Checkpoint.open(note, carried)[1] if carried else None
    except NoteError as exc:
        report.problems.append(f"the log checkpoint is not validly signed by the key the bundle names: {exc}")
        return
    trusted, bad = load_trusted(trusted_keys, carried)
    for entry in bad:
        report.problems.append(
            f"cannot read the trusted key {entry!r} (give a verifier key, a key file or a fingerprint)"
        )
    signer = None
    try:
        opened = open_note(note, trusted) if trusted else None
        signer = opened.verified_by[0] if opened else None
    except NoteError as exc:
        if "does not verify" in str(exc):
            report.problems.append(f"the checkpoint's signature is invalid: {exc}")
            return
    report.signer = signer
    if signer is None:
        names = ", ".join(
            f"{k.name} (fingerprint {k.fingerprint})" for k in (carried_ok.verified_by if carried_ok else ())
        )
        report.trust_problem = (
            f"The checkpoint is signed by {names or 'a key'}, which you have not said you trust. "
            "Check that fingerprint against the one the force publishes, then run again with "
            "--trusted-key FINGERPRINT."
        )
    # every event is a leaf of the signed tree
    try:
        size = int(proofs["tree_size"])
        root_hash = base64.b64decode(proofs["root"], validate=True)
        by_seq = {
            int(k): [base64.b64decode(p, validate=True) for p in v] for k, v in proofs["inclusion"].items()
        }
    except (KeyError, ValueError, TypeError, binascii.Error):
        report.problems.append("custody/proofs.json is malformed")
        return
    if size != checkpoint.size or root_hash != checkpoint.root:
        report.problems.append("the proofs are not for the tree that the checkpoint signs")
        return
    count = 0
    for number, line in enumerate(events_text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            seq, leaf = int(entry["seq"]), entry["leaf"].encode("utf-8")
        except (ValueError, KeyError, TypeError, AttributeError):
            report.problems.append(f"custody event line {number} is malformed")
            continue
        if seq not in by_seq:
            report.problems.append(f"custody event {seq} has no inclusion proof")
            continue
        try:
            merkle.verify_inclusion(seq, size, merkle.leaf_hash(leaf), by_seq[seq], root_hash)
        except merkle.ProofError as exc:
            report.problems.append(f"custody event {seq} is not in the signed log: {exc}")
            continue
        count += 1
    report.events_checked = count
    if count and not report.problems:
        who = f"{signer.name} (fingerprint {signer.fingerprint})" if signer else "an untrusted key"
        report.facts.append(
            f"All {count} custody events are included (RFC 9162 proofs) in the log of {checkpoint.size:,} "
            f"events whose checkpoint is signed by {who}."
        )


def open_bundle(path: Path, scratch: Path) -> Path:
    """A bundle directory, or a zip extracted safely into ``scratch``."""
    if path.is_dir():
        return path
    if not zipfile.is_zipfile(path):
        raise BagError(f"{path} is neither a bundle directory nor a zip file")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise BagError("the zip holds an implausible number of entries")
        tops = {m.filename.split("/", 1)[0] for m in members}
        for member in members:
            name = member.filename
            if name.startswith("/") or "\\" in name or any(p == ".." for p in name.split("/")):
                raise BagError(f"zip entry {name!r} points outside the bundle")
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise BagError(f"zip entry {name!r} is a link: refused")
        archive.extractall(scratch)
    return scratch / tops.pop() if len(tops) == 1 and not (scratch / "bagit.txt").exists() else scratch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="exhibits verify-bundle",
        description="Check an Exhibits bundle: files, custody proofs, signature.",
    )
    parser.add_argument("path", type=Path, help="bundle directory or .zip")
    parser.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        metavar="KEY-or-FINGERPRINT",
        help="a verifier key (name+id+key), a file holding one, or the key's SHA-256 fingerprint",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable result")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exhibits-bundle-") as scratch:
        try:
            root = open_bundle(args.path, Path(scratch))
            report = verify_bag(root, args.trusted_key)
        except (BagError, OSError, zipfile.BadZipFile) as exc:
            report = BundleReport(problems=[str(exc)])
    if args.json:
        print(
            json.dumps(
                {
                    "status": ["verified", "unverified", "failed"][report.status],
                    "facts": report.facts,
                    "problems": report.problems,
                    "trust": report.trust_problem,
                    "files_checked": report.files_checked,
                    "events_checked": report.events_checked,
                },
                indent=2,
            )
        )
    else:
        print(report.text())
    return report.status


def cli() -> None:
    sys.exit(main())


if __name__ == "__main__":
    cli()
