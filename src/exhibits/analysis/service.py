"""Analysis records: machine outputs by content, corrections by exhibit, both disclosable.

Every read authorises against the exhibit's case and logs one consultation; every
correction is a continuity event naming the machine output it corrects.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.analysis import subtitles
from exhibits.analysis.models import AnalysisResult, AnalysisRevision
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput, NotFound
from exhibits.evidence.models import Case, Exhibit, Media
from exhibits.ids import new_id
from exhibits.processing.processor import Processed, Processor
from exhibits.search import index
from exhibits.search.index import Docs, Entities

if TYPE_CHECKING:
    from exhibits.vault import Vault

# Outputs analysis keeps: its own processors, and the pipeline's document text for search.
KEPT = ("transcription", "ocr", "entities", "document_text")
KIND_PROCESSOR = {"transcript": "transcription", "entities": "entities"}
EXPORTS = {"vtt": subtitles.to_webvtt, "srt": subtitles.to_srt, "txt": subtitles.to_text}
ENTITY_TYPES = (
    "vrm",
    "postcode",
    "phone",
    "email",
    "nino",
    "pnc_id",
    "urn",
    "asn",
    "ccrn",
    "cro",
    "date",
    "time",
    "person",
    "place",
    "organisation",
)


@dataclass(frozen=True)
class Version:
    """One version of a transcript or entity list: the machine's (revision 0) or a person's."""

    kind: str
    revision: int
    body: dict[str, Any]
    machine_result_id: str
    processor: str
    processor_version: str
    model: dict[str, Any] | None
    created_at: datetime
    created_by: str | None = None  # user id; None for the machine
    created_by_name: str | None = None
    reason: str | None = None
    exhibit_ref: str = ""
    case_id: str = ""
    exhibit_id: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "revision": self.revision,
            "author": "machine" if self.created_by is None else self.created_by_name,
            "created_at": self.created_at.isoformat(),
            "reason": self.reason,
            "machine": {
                "result": self.machine_result_id,
                "processor": self.processor,
                "version": self.processor_version,
                "model": self.model,
            },
            "exhibit": {"id": self.exhibit_id, "ref": self.exhibit_ref, "case_id": self.case_id},
            "history": self.history,
            **self.body,
        }


def body_sha256(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _params(processor: Any, result: Any) -> dict[str, Any]:
    explicit = getattr(result, "params", None)
    if isinstance(explicit, dict):
        return explicit
    if isinstance(processor, type):  # the hook may be given the class or an instance
        return dict(getattr(processor, "default_params", {}))
    return processor.params() if hasattr(processor, "params") else {}


ResultKey = tuple[str, str, str, str]  # content, processor, version, parameters hash


def _key(item: Processed, params: dict[str, Any]) -> ResultKey:
    """What a result is kept by: (content, processor, version, parameters hash)."""
    processor = item.processor
    return (item.sha256, str(processor.name), str(processor.version), Processor.params_hash(params))


def _replacement(key: ResultKey, origin: str, facts: dict[str, Any]) -> Docs | Entities:
    """What a newly kept result changes in the search or entity index."""
    sha256, name = key[0], key[1]
    if name == "entities":
        return Entities(sha256, origin, facts.get("entities", []))
    layer = index.LAYER_OF[name]
    return Docs(sha256, layer, origin, index.PIECES[layer](facts))


_results = AnalysisResult.__table__
_KEPT_KEYS = select(
    _results.c.id, _results.c.sha256, _results.c.processor, _results.c.version, _results.c.params_hash
).where(
    _results.c.sha256.in_(bindparam("sha256s", expanding=True)),
    _results.c.processor.in_(bindparam("processors", expanding=True)),
)
_INSERT_RESULT = _results.insert()


class AnalysisService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # --- machine outputs (called by the pipeline, inside its unit of work) -------------------

    def record_results(self, ctx: WriteContext, processed: Sequence[Processed]) -> list[str | None]:
        """Keep runs' facts (OCR, transcript, entities...) and index them, with the outcome of
        keeping them one by one in order; returns each record's id (None for a processor
        analysis does not keep). Core statements per batch, not per result: one read of the
        keys already kept, one insert of the new records, the index's writes (index.replace)."""
        wanted = [(n, item) for n, item in enumerate(processed) if str(item.processor.name) in KEPT]
        ids: list[str | None] = [None] * len(processed)
        if not wanted:
            return ids
        params = {n: _params(item.processor, item.result) for n, item in wanted}
        keys = {n: _key(item, params[n]) for n, item in wanted}
        kept = self._kept(ctx.session, list(keys.values()))
        rows, replacements = [], []
        for n, item in wanted:
            key = keys[n]
            if key not in kept:  # a result kept already (a job run again) is not indexed again
                kept[key] = new_id()
                rows.append(self._row(kept[key], key, params[n], item.result.facts))
                replacements.append(_replacement(key, kept[key], item.result.facts))
            ids[n] = kept[key]
        if rows:
            ctx.session.execute(_INSERT_RESULT, rows)
            index.replace(ctx.session, replacements)
        return ids

    @staticmethod
    def _kept(session: Session, keys: list[ResultKey]) -> dict[ResultKey, str]:
        """The ids of the results already kept under these keys."""
        found = session.execute(
            _KEPT_KEYS,
            {"sha256s": sorted({k[0] for k in keys}), "processors": sorted({k[1] for k in keys})},
        )
        wanted = set(keys)
        kept: dict[ResultKey, str] = {}
        for row in found:
            key = (row.sha256, row.processor, row.version, row.params_hash)
            if key in wanted:
                kept[key] = row.id
        return kept

    def _row(
        self, row_id: str, key: ResultKey, params: dict[str, Any], facts: dict[str, Any]
    ) -> dict[str, Any]:
        sha256, name, version, params_hash = key
        return {
            "id": row_id,
            "sha256": sha256,
            "processor": name,
            "version": version,
            "params_hash": params_hash,
            "params": params,
            "facts": facts,
            "recorded_at": self.vault.now(),  # each its own time: the latest result is the later one
        }

    @staticmethod
    def latest_result(session: Session, sha256: str, processor: str) -> AnalysisResult | None:
        return session.scalar(
            select(AnalysisResult)
            .where(AnalysisResult.sha256 == sha256, AnalysisResult.processor == processor)
            .order_by(AnalysisResult.recorded_at.desc(), AnalysisResult.id.desc())
            .limit(1)
        )

    # --- reading -------------------------------------------------------------------------

    def current_facts(self, session: Session, exhibit: Exhibit, sha256: str) -> dict[str, dict[str, Any]]:
        """The exhibit's current transcript and entities (people's corrections included) and
        the content's OCR, for other capabilities that have already authorised the reader
        (redaction proposals). Missing analyses are simply absent."""
        found: dict[str, dict[str, Any]] = {}
        for kind in ("transcript", "entities"):
            with contextlib.suppress(NotFound):  # not analysed (yet)
                found[kind] = self._versions(session, exhibit, sha256, kind)[-1].body
        ocr = self.latest_result(session, sha256, "ocr")
        if ocr is not None:
            found["ocr"] = ocr.facts
        return found

    def _exhibit(
        self, session: Session, principal: Principal, case_key: str, ref: str
    ) -> tuple[Case, Exhibit, str]:
        case = self.vault.evidence.find_case(session, principal, case_key)
        exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
        principal.require(Permission.EXHIBIT_CONTENT, session, case.id)  # a transcript is content
        media = session.get(Media, exhibit.media_id)
        assert media is not None
        return case, exhibit, media.sha256

    def _versions(self, session: Session, exhibit: Exhibit, sha256: str, kind: str) -> list[Version]:
        processor = KIND_PROCESSOR[kind]
        machine = self.latest_result(session, sha256, processor)
        if machine is None:
            raise NotFound(f"exhibit {exhibit.ref} has no {kind} yet (it may still be processing)")
        body = self._machine_body(kind, machine.facts)
        base = dict(
            kind=kind,
            machine_result_id=machine.id,
            processor=machine.processor,
            processor_version=machine.version,
            model=machine.facts.get("model"),
            exhibit_ref=exhibit.ref,
            case_id=exhibit.case_id,
            exhibit_id=exhibit.id,
        )
        versions = [Version(revision=0, body=body, created_at=machine.recorded_at, **base)]
        from exhibits.access.models import User

        rows = session.execute(
            select(AnalysisRevision, User.name)
            .join(User, User.id == AnalysisRevision.created_by)
            .where(AnalysisRevision.exhibit_id == exhibit.id, AnalysisRevision.kind == kind)
            .order_by(AnalysisRevision.number)
        )
        for revision, author in rows:
            versions.append(
                Version(
                    revision=revision.number,
                    body=revision.body,
                    created_at=revision.created_at,
                    created_by=revision.created_by,
                    created_by_name=author,
                    reason=revision.reason,
                    **{**base, "machine_result_id": revision.machine_result_id},
                )
            )
        return versions

    @staticmethod
    def _machine_body(kind: str, facts: dict[str, Any]) -> dict[str, Any]:
        if kind == "transcript":
            return {
                "language": facts.get("language"),
                "duration": facts.get("duration"),
                "segments": facts["segments"],
            }
        return {"entities": facts.get("entities", [])}

    def get(
        self, principal: Principal, case_key: str, ref: str, kind: str, *, revision: int | None = None
    ) -> Version:
        """The current version (latest correction, else the machine's), or a given revision."""
        if kind not in KIND_PROCESSOR:
            raise InvalidInput("kind is transcript or entities")
        with self.vault.reading() as session:
            case, exhibit, sha256 = self._exhibit(session, principal, case_key, ref)
            versions = self._versions(session, exhibit, sha256, kind)
            case_id, exhibit_id, exhibit_ref = case.id, exhibit.id, exhibit.ref
        chosen = (
            versions[-1] if revision is None else next((v for v in versions if v.revision == revision), None)
        )
        if chosen is None:
            raise NotFound(f"{kind} of {exhibit_ref} has no revision {revision}")
        history = [
            {
                "revision": v.revision,
                "author": v.created_by_name or "machine",
                "created_at": v.created_at.isoformat(),
                "reason": v.reason,
            }
            for v in versions
        ]
        chosen = Version(**{**chosen.__dict__, "history": history})
        self.vault.consulted(
            principal,
            f"{kind}.view",
            case_id=case_id,
            exhibit_id=exhibit_id,
            sha256=sha256,
            details={"revision": chosen.revision},
        )
        return chosen

    def export_transcript(
        self, principal: Principal, case_key: str, ref: str, fmt: str, *, revision: int | None = None
    ) -> str:
        if fmt not in EXPORTS:
            raise InvalidInput("export format is vtt, srt or txt")
        version = self.get(principal, case_key, ref, "transcript", revision=revision)
        return EXPORTS[fmt](version.body["segments"])

    # --- corrections ---------------------------------------------------------------------

    def correct_transcript(
        self, principal: Principal, case_key: str, ref: str, edits: dict[int, str], reason: str
    ) -> Version:
        """A new revision with the given segments' text replaced; times are kept, and word
        timings are kept only where a segment's words are unchanged."""
        if not edits:
            raise InvalidInput("nothing to correct: give at least one segment and its text")

        def change(body: dict[str, Any]) -> dict[str, Any]:
            segments = [dict(s) for s in body["segments"]]
            by_id = {s["id"]: s for s in segments}
            for segment_id, text in edits.items():
                if segment_id not in by_id:
                    raise InvalidInput(f"the transcript has no segment {segment_id}")
                text = " ".join(str(text).split())
                if not text or len(text) > 5000:
                    raise InvalidInput("a corrected segment needs 1-5000 characters of text")
                segment = by_id[segment_id]
                if [w["word"] for w in segment.get("words", [])] != text.split():
                    segment["words"] = []  # the machine's word timings no longer describe the text
                segment["text"] = text
                segment["corrected"] = True
            return {**body, "segments": segments}

        return self._revise(
            principal, case_key, ref, "transcript", change, reason, {"segments": sorted(edits)}
        )

    def correct_entities(
        self,
        principal: Principal,
        case_key: str,
        ref: str,
        *,
        remove: list[int] = (),  # type: ignore[assignment]
        add: list[dict[str, Any]] = (),  # type: ignore[assignment]
        reason: str,
    ) -> Version:
        """A new revision of the entity list: wrong ones removed (by index), missed ones added."""
        if not remove and not add:
            raise InvalidInput("nothing to correct: remove or add at least one entity")

        def change(body: dict[str, Any]) -> dict[str, Any]:
            entities = list(body["entities"])
            for index_ in remove:
                if not 0 <= index_ < len(entities):
                    raise InvalidInput(f"there is no entity number {index_}")
            kept = [e for i, e in enumerate(entities) if i not in set(remove)]
            for item in add:
                if item.get("type") not in ENTITY_TYPES:
                    raise InvalidInput(f"entity type must be one of {', '.join(ENTITY_TYPES)}")
                value = str(item.get("value", "")).strip()
                if not value or len(value) > 300:
                    raise InvalidInput("an entity needs a value of 1-300 characters")
                kept.append(
                    {
                        "type": item["type"],
                        "text": str(item.get("text") or value),
                        "value": value,
                        "method": "person",
                        "confidence": 1.0,
                        "source": dict(item.get("source") or {}),
                    }
                )
            return {"entities": kept}

        details = {"removed": sorted(remove), "added": len(add)}
        return self._revise(principal, case_key, ref, "entities", change, reason, details)

    def _revise(
        self, principal, case_key, ref, kind, change, reason: str, details: dict[str, Any]
    ) -> Version:
        reason = " ".join((reason or "").split())
        if not reason:
            raise InvalidInput("say why: a correction needs a reason")
        with self.vault.reading() as session:
            case, exhibit, sha256 = self._exhibit(session, principal, case_key, ref)
            principal.require(Permission.ANALYSIS_CORRECT, session, case.id)
            exhibit_id, case_id = exhibit.id, case.id
        now = self.vault.now()

        def work(ctx: WriteContext) -> int:
            session = ctx.session
            exhibit_row = session.get(Exhibit, exhibit_id)
            assert exhibit_row is not None
            current = self._versions(session, exhibit_row, sha256, kind)[-1]
            body = change(current.body)
            number = (
                session.scalar(
                    select(func.max(AnalysisRevision.number)).where(
                        AnalysisRevision.exhibit_id == exhibit_id, AnalysisRevision.kind == kind
                    )
                )
                or 0
            ) + 1
            revision = AnalysisRevision(
                id=new_id(),
                exhibit_id=exhibit_id,
                case_id=case_id,
                kind=kind,
                number=number,
                machine_result_id=current.machine_result_id,
                body=body,
                reason=reason,
                created_by=principal.user_id,
                created_at=now,
            )
            session.add(revision)
            session.flush()
            if kind == "transcript":
                pieces = index.transcript_pieces(body)
                index.replace_docs(
                    session,
                    sha256=sha256,
                    layer="transcript",
                    origin=revision.id,
                    pieces=pieces,
                    exhibit_id=exhibit_id,
                )
            else:
                index.replace_entities(
                    session,
                    sha256=sha256,
                    origin=revision.id,
                    entities=body["entities"],
                    exhibit_id=exhibit_id,
                )
            self.vault.record(
                ctx,
                principal,
                f"{kind}.correct",
                EventClass.CONTINUITY,
                case_id=case_id,
                exhibit_id=exhibit_id,
                sha256=sha256,
                inputs=[current.machine_result_id],
                outputs=[body_sha256(body)],
                details={
                    "revision": number,
                    "previous_revision": current.revision,
                    "reason": reason,
                    **details,
                },
            )
            return number

        number = self.vault.write(work)
        principal.forget_assignments()
        with self.vault.reading() as session:
            exhibit_row = session.get(Exhibit, exhibit_id)
            assert exhibit_row is not None
            return next(v for v in self._versions(session, exhibit_row, sha256, kind) if v.revision == number)
