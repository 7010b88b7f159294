"""Export a case as an open bundle for the CPS, the defence or the court; import one.

What each recipient gets:
- ``cps``: everything the prosecutor needs: every exhibit's original and derivatives, every
  form record (non-disclosable ones included: MG11 reverses, MG6D, MG6E), MG12, MG6C, MG6D;
- ``defence``: the served evidence (exhibits on the MG12, signed statements), the MG5, the
  MG6C and MG12, a signed SDC, and unused items the prosecutor marked D; wherever a
  redaction rendered for the defence exists it replaces the original;
- ``court``: the served evidence only (exhibits on the MG12, signed statements, the MG12).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits import TOOL_NAME, __version__
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.casefile.bundle import graph as case_graph
from exhibits.casefile.bundle.bag import (
    BAGIT_VERSION,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    BagInfo,
    hash_file,
    write_manifest,
)
from exhibits.casefile.bundle.verify import CHECKPOINT, EVENTS, GRAPH, KEYS, PROOFS, SUMMARY
from exhibits.casefile.derivatives import DerivativeInfo, derivatives_of, preferred_derivative
from exhibits.casefile.forms import defence_may_see
from exhibits.casefile.models import CaseRecord, UnusedItem
from exhibits.casefile.records import record_view
from exhibits.casefile.render import document_json, record_document, render_pdf
from exhibits.clock import iso_utc
from exhibits.custody.events import EventClass
from exhibits.custody.models import CustodyEventRow
from exhibits.errors import Conflict, IntegrityFailure, InvalidInput
from exhibits.evidence.models import Blob, Case, Exhibit, Media
from exhibits.evidence.sniff import sniff_mime

if TYPE_CHECKING:
    from exhibits.vault import Vault

RECIPIENTS = {
    "cps": "the Crown Prosecution Service",
    "defence": "the defence",
    "court": "the court",
}
_EXT = {
    "video/mp4": ".mp4",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "text/plain": ".txt",
    "video/quicktime": ".mov",
    "image/heic": ".heic",
    "text/vtt": ".vtt",
}


@dataclass
class PayloadFile:
    path: str  # data/...
    sha256: str
    size: int
    mime_type: str
    role: str  # original, derivative, form
    exhibit_ref: str | None = None
    parent_sha256: str | None = None
    kind: str | None = None
    tool: str | None = None
    tool_version: str | None = None
    content: bytes | None = None  # forms are rendered in memory; evidence comes from the vault

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "content"}


@dataclass
class Selection:
    case: dict[str, Any]
    files: list[PayloadFile] = field(default_factory=list)
    exhibit_ids: set[str] = field(default_factory=set)
    media_ids: set[str] = field(default_factory=set)
    record_ids: set[str] = field(default_factory=set)
    event_seqs: set[int] = field(default_factory=set)


# events about the register, shares and retention stay with the police and the CPS
INTERNAL_ACTIONS = ("disclosure.", "share.", "retention.")


def _ref_path(ref: str) -> str:
    return ref.replace("/", "-")


class BundleService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # --- selection -----------------------------------------------------------------------

    def select(self, session: Session, principal: Principal, case: Case, recipient: str) -> Selection:
        casefile = self.vault.casefile
        selection = Selection(
            case={
                "id": case.id,
                "crime_ref": case.crime_ref,
                "urn": case.urn,
                "title": case.title,
                "classification": case.classification,
                "force": self.vault.settings.force_name,
                "log": self.vault.settings.log_origin,
            }
        )
        exhibits = {
            e.id: e
            for e in session.scalars(
                select(Exhibit)
                .where(Exhibit.case_id == case.id, Exhibit.status == "active")
                .order_by(Exhibit.created_at)
            )
        }
        derivatives = derivatives_of(self.vault, session, list(exhibits))
        by_exhibit: dict[str, list[DerivativeInfo]] = {}
        for d in derivatives:
            by_exhibit.setdefault(d.exhibit_id, []).append(d)
        served_ids = [row["exhibit_id"] for row in casefile.records.mg12(session, case.id)]
        records = list(
            session.scalars(
                select(CaseRecord).where(CaseRecord.case_id == case.id).order_by(CaseRecord.created_at)
            )
        )
        if recipient == "cps":
            for exhibit in exhibits.values():
                self._add_original(session, selection, exhibit)
                for derivative in by_exhibit.get(exhibit.id, []):
                    self._add_derivative(selection, exhibit, derivative)
            chosen_records = records
            generated = ["MG12", "MG6C", "MG6D"]
        else:
            purpose = recipient
            chosen_ids = list(served_ids)
            if recipient == "defence":
                disclosed = session.scalars(
                    select(UnusedItem).where(UnusedItem.case_id == case.id, UnusedItem.decision == "D")
                ).all()
                chosen_ids += [i.exhibit_id for i in disclosed if i.exhibit_id and i.schedule == "MG6C"]
            for exhibit_id in dict.fromkeys(chosen_ids):
                exhibit = exhibits.get(exhibit_id)
                if exhibit is None:
                    continue
                preferred = preferred_derivative(by_exhibit.get(exhibit.id, []), purpose)
                if preferred is not None:
                    self._add_derivative(selection, exhibit, preferred)
                else:
                    self._add_original(session, selection, exhibit)
            served = [r for r in records if r.form == "MG11" and r.state == "signed"]
            chosen_records = list(served)
            if recipient == "defence":
                disclosed_records = {
                    i.record_id
                    for i in session.scalars(
                        select(UnusedItem).where(
                            UnusedItem.case_id == case.id,
                            UnusedItem.decision == "D",
                            UnusedItem.schedule == "MG6C",
                            UnusedItem.record_id.is_not(None),
                        )
                    )
                }
                chosen_records += [r for r in records if r.id in disclosed_records]
                chosen_records += [r for r in records if r.form == "MG5" and r.state in ("locked", "draft")][
                    -1:
                ]
                chosen_records += [r for r in records if r.form == "SDC" and r.state == "signed"]
                generated = ["MG12", "MG6C"]
            else:
                generated = ["MG12"]
            # the defence and the court never receive a non-disclosable form, whatever else happened
            chosen_records = [r for r in dict.fromkeys(chosen_records) if defence_may_see(r.form)]
        for record in chosen_records:
            view = record_view(session, record)
            doc = record_document(view, case)
            stem = f"data/forms/{view.form}-{view.id}"
            self._add_form(selection, f"{stem}.pdf", render_pdf(doc), "application/pdf")
            self._add_form(
                selection,
                f"{stem}.json",
                _json(document_json(doc, {"record": view.as_dict()})),
                "application/json",
            )
            selection.record_ids.add(record.id)
        for code in generated:
            stem, pdf, data = casefile.generated(session, case, code)
            if recipient != "cps" and code == "MG6C":
                data["items"] = [
                    {k: v for k, v in i.items() if k not in ("history", "sensitivity_reason")}
                    for i in data["items"]
                ]
            self._add_form(selection, f"data/forms/{stem}.pdf", pdf, "application/pdf")
            self._add_form(selection, f"data/forms/{stem}.json", _json(data), "application/json")
        selection.event_seqs = self._events(session, case.id, selection, recipient)
        return selection

    def _add_original(self, session: Session, selection: Selection, exhibit: Exhibit) -> None:
        media = session.get(Media, exhibit.media_id)
        blob = session.get(Blob, media.sha256) if media else None
        if media is None or blob is None or blob.disposed_at is not None:
            return
        path = f"data/evidence/{_ref_path(exhibit.ref)}{_EXT.get(blob.mime_type, '.bin')}"
        selection.files.append(
            PayloadFile(path, blob.sha256, blob.size, blob.mime_type, "original", exhibit.ref)
        )
        selection.exhibit_ids.add(exhibit.id)
        selection.media_ids.add(media.id)

    @staticmethod
    def _add_derivative(selection: Selection, exhibit: Exhibit, d: DerivativeInfo) -> None:
        purpose = f"-{d.purpose}" if d.purpose else ""
        extension = _EXT.get(d.mime_type, ".bin")
        path = f"data/derivatives/{_ref_path(exhibit.ref)}-{d.kind}{purpose}-{d.sha256[:12]}{extension}"
        selection.files.append(
            PayloadFile(
                path,
                d.sha256,
                d.size,
                d.mime_type,
                "derivative",
                exhibit.ref,
                d.parent_sha256,
                d.kind,
                d.tool,
                d.tool_version,
            )
        )
        selection.exhibit_ids.add(exhibit.id)
        if d.event_seq is not None:
            selection.event_seqs.add(d.event_seq)

    @staticmethod
    def _add_form(selection: Selection, path: str, content: bytes, mime: str) -> None:
        selection.files.append(
            PayloadFile(
                path, hashlib.sha256(content).hexdigest(), len(content), mime, "form", content=content
            )
        )

    @staticmethod
    def _events(session: Session, case_id: str, selection: Selection, recipient: str) -> set[int]:
        """Continuity events that travel with this bundle's contents."""
        seqs = set(selection.event_seqs)
        rows = session.execute(
            select(
                CustodyEventRow.seq,
                CustodyEventRow.action,
                CustodyEventRow.exhibit_id,
                CustodyEventRow.media_id,
                CustodyEventRow.case_id,
                CustodyEventRow.leaf,
            )
            .where(CustodyEventRow.event_class == str(EventClass.CONTINUITY))
            .where((CustodyEventRow.case_id == case_id) | CustodyEventRow.media_id.in_(selection.media_ids))
        )
        for seq, action, exhibit_id, media_id, event_case, leaf in rows:
            ours = event_case == case_id
            about_content = exhibit_id in selection.exhibit_ids and not action.startswith(INTERNAL_ACTIONS)
            media_before_case = exhibit_id is None and event_case is None and media_id in selection.media_ids
            record = action.startswith("casefile.record.") and ours
            if (
                (recipient == "cps" and ours)
                or about_content
                or media_before_case
                or (action == "case.create" and ours)
                or (record and orjson.loads(leaf)["details"].get("record") in selection.record_ids)
            ):
                seqs.add(seq)
        return seqs

    # --- export --------------------------------------------------------------------------

    def export(self, principal: Principal, case_key: str, recipient: str, out: Path) -> dict[str, Any]:
        recipient = recipient.strip().lower()
        if recipient not in RECIPIENTS:
            raise InvalidInput("a bundle is --for cps, defence or court")
        as_zip = out.suffix.lower() == ".zip"
        if out.exists() and (as_zip or any(out.iterdir()) if out.is_dir() else True):
            raise Conflict(f"{out} already exists: give a new directory or .zip")
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.BUNDLE_EXPORT, session, case.id)
            selection = self.select(session, principal, case, recipient)
            case_id = case.id
        payload_hashes = sorted({f.sha256 for f in selection.files})

        def record(ctx) -> Any:
            return self.vault.record(
                ctx,
                principal,
                "bundle.export",
                EventClass.CONTINUITY,
                case_id=case_id,
                outputs=payload_hashes,
                details={
                    "recipient": recipient,
                    "recipient_label": RECIPIENTS[recipient],
                    "files": len(selection.files),
                    "events": len(selection.event_seqs) + 1,
                },
            )

        draft = self.vault.write(record)
        assert draft.seq is not None
        selection.event_seqs.add(draft.seq)
        with self.vault.reading() as session:
            head = self.vault.log.head(session)
            seqs = sorted(s for s in selection.event_seqs if s < head.size)
            events = [
                _Event(s, bytes(row.leaf), bytes(row.leaf_hash))
                for s in seqs
                for row in [self.vault.log.event(session, s)]
            ]
            proofs = {
                str(s): [
                    base64.b64encode(p).decode()
                    for p in self.vault.log.inclusion_proof(session, s, head.size)
                ]
                for s in seqs
            }
            keys = [k.vkey for k in self.vault.log.keys(session)]
        target = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out.parent)) if as_zip else out
        try:
            self._write_bag(target, selection, recipient, events, proofs, head, keys)
            if as_zip:
                _zip(target, out, out.stem)
        finally:
            if as_zip:
                shutil.rmtree(target, ignore_errors=True)
        return {
            "path": str(out),
            "recipient": recipient,
            "files": len(selection.files),
            "bytes": sum(f.size for f in selection.files),
            "events": len(events),
            "tree_size": head.size,
            "export_event": draft.seq,
            "log_key_fingerprint": self.vault.signer.verifier.fingerprint,
        }

    def _write_bag(
        self, root: Path, selection: Selection, recipient: str, events, proofs, head, keys
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, str] = {}

        def write(item: PayloadFile) -> None:
            target = root / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.content is not None:
                target.write_bytes(item.content)
            else:
                _copy_checked(self.vault, item.sha256, target)
            manifest[item.path] = item.sha256

        paths = [f.path for f in selection.files]
        if len(paths) != len(set(paths)):
            raise IntegrityFailure("two bundle files would have the same name")
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(write, sorted(selection.files, key=lambda f: -f.size)))
        write_manifest(root / PAYLOAD_MANIFEST, manifest)
        event_dicts = [
            {"seq": e.seq, "leaf": orjson.loads(e.leaf), "leaf_hash": e.leaf_hash.hex()} for e in events
        ]
        graph = case_graph.build_graph(selection.case, [f.describe() for f in selection.files], event_dicts)
        (root / "custody").mkdir(exist_ok=True)
        (root / GRAPH).write_bytes(_json(graph))
        (root / CHECKPOINT).write_text(head.note)
        (root / KEYS).write_text("".join(f"{k}\n" for k in keys))
        (root / EVENTS).write_text(
            "".join(json.dumps({"seq": e.seq, "leaf": e.leaf.decode()}) + "\n" for e in events)
        )
        (root / PROOFS).write_bytes(
            _json({"tree_size": head.size, "root": base64.b64encode(head.root).decode(), "inclusion": proofs})
        )
        case = selection.case
        summary = {
            "format": "exhibits-bundle/1",
            "recipient": recipient,
            "recipient_label": RECIPIENTS[recipient],
            "case_id": case["id"],
            "crime_ref": case["crime_ref"],
            "urn": case["urn"],
            "title": case["title"],
            "classification": case["classification"],
            "force": case["force"],
            "log_origin": case["log"],
            "created_at": iso_utc(self.vault.now()),
            "tool": f"{TOOL_NAME} {__version__}",
            "files": [f.describe() for f in selection.files],
        }
        (root / SUMMARY).write_bytes(_json(summary))
        (root / "bagit.txt").write_text(
            f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n"
        )
        info = BagInfo(
            [
                ("Source-Organization", case["force"]),
                ("External-Identifier", case["urn"] or case["crime_ref"]),
                ("Internal-Sender-Identifier", case["crime_ref"]),
                ("External-Description", f"{case['title']}: bundle for {RECIPIENTS[recipient]}"),
                ("Bagging-Date", date.today().isoformat()),
                ("Bag-Software-Agent", f"{TOOL_NAME} {__version__}"),
                ("Payload-Oxum", f"{sum(f.size for f in selection.files)}.{len(selection.files)}"),
                ("Security-Classification", case["classification"]),
            ]
        )
        (root / "bag-info.txt").write_text(info.text())
        tags = {}
        for name in (
            "bagit.txt",
            "bag-info.txt",
            PAYLOAD_MANIFEST,
            GRAPH,
            SUMMARY,
            CHECKPOINT,
            KEYS,
            EVENTS,
            PROOFS,
        ):
            tags[name] = hash_file(root / name)[0]
        write_manifest(root / TAG_MANIFEST, tags)
        _fsync_tree(root)

    # --- import --------------------------------------------------------------------------

    def import_bundle(
        self,
        principal: Principal,
        path: Path,
        *,
        crime_ref: str | None = None,
        trusted_keys: list[str] = (),  # type: ignore[assignment]
        producer: str | None = None,
    ) -> dict[str, Any]:
        from exhibits.casefile.bundle.importer import import_bundle

        return import_bundle(
            self.vault,
            principal,
            path,
            crime_ref=crime_ref,
            trusted_keys=list(trusted_keys),
            producer=producer,
        )


@dataclass(frozen=True)
class _Event:
    seq: int
    leaf: bytes
    leaf_hash: bytes


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _copy_checked(vault: Vault, sha256: str, target: Path) -> None:
    """Copy content out of the vault, then hash the copy: what leaves is what was stored.

    Local stores copy in the kernel (copy_file_range: no trip through Python, a reflink on
    file systems that have them); the hash is then taken of the copy itself."""
    source_path = vault.blobs.local_path(sha256)
    with open(target, "xb") as sink:
        if source_path is not None:
            with open(source_path, "rb") as source:
                _kernel_copy(source.fileno(), sink.fileno())
        else:
            with vault.blobs.open(sha256) as source:
                shutil.copyfileobj(source, sink, 8 * 2**20)
    if hash_file(target)[0] != sha256:
        target.unlink(missing_ok=True)
        raise IntegrityFailure(f"stored content {sha256} no longer matches its hash: run 'exhibits verify'")


def _kernel_copy(source: int, sink: int) -> None:
    size = os.fstat(source).st_size
    offset = 0
    try:
        while offset < size:
            copied = os.copy_file_range(source, sink, min(size - offset, 1 << 30))
            if copied == 0:
                break
            offset += copied
    except OSError:  # not supported between these file systems: plain copy from where we are
        os.lseek(source, offset, os.SEEK_SET)
        os.lseek(sink, offset, os.SEEK_SET)
        while chunk := os.read(source, 8 * 2**20):
            os.write(sink, chunk)
        return
    if offset != size:
        raise IntegrityFailure("stored content changed size while it was copied")


def _fsync_tree(root: Path) -> None:
    for directory, _, files in os.walk(root):
        for name in files:
            fd = os.open(Path(directory) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _zip(source: Path, out: Path, top: str) -> None:
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "x", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for directory, _, files in sorted(os.walk(source)):
            for name in sorted(files):
                full = Path(directory) / name
                archive.write(full, f"{top}/{full.relative_to(source).as_posix()}")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    partial.rename(out)


def mime_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return sniff_mime(handle.read(8192))
