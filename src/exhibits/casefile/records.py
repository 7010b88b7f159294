"""Case file records: people on a case and the MG forms, typed, versioned and signed.

A record's content is a series of versions (append-only), each the RFC 8785 encoding of
its validated form data with its SHA-256; the custody log records every version's hash.
Signing fixes a record: a signed MG11 never changes (an amendment is a new statement
that supersedes it, and the earlier one goes onto the unused material register as
relevant material); an MG5 is locked when a supervisor signs it off.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission, Role
from exhibits.access.principal import Principal
from exhibits.casefile import schemas
from exhibits.casefile.access import shared_item
from exhibits.casefile.forms import FORM_TYPES, defence_may_see
from exhibits.casefile.models import CasePerson, CaseRecord, CaseRecordVersion, UnusedItem
from exhibits.clock import iso_utc
from exhibits.custody.canonical import canonical
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exhibits.evidence.models import Case, Exhibit
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault

SIGNABLE = {"MG11", "MG11R", "MG6D", "MG6E", "SDC"}


def data_hash(data: dict) -> tuple[bytes, str]:
    encoded = canonical(data)
    return encoded, hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class RecordView:
    id: str
    case_id: str
    form: str
    title: str
    state: str
    version: int
    data: dict[str, Any]
    data_sha256: str
    signature: dict[str, Any] | None
    linked_id: str | None
    supersedes_id: str | None
    person_id: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def disclosure(self) -> str:
        return str(FORM_TYPES[self.form].disclosure)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "form": self.form,
            "form_title": FORM_TYPES[self.form].title,
            "disclosure": self.disclosure,
            "title": self.title,
            "state": self.state,
            "version": self.version,
            "data": self.data,
            "data_sha256": self.data_sha256,
            "signature": self.signature,
            "linked_id": self.linked_id,
            "supersedes_id": self.supersedes_id,
            "person_id": self.person_id,
            "created_at": iso_utc(self.created_at),
            "updated_at": iso_utc(self.updated_at),
        }


@dataclass(frozen=True)
class PersonView:
    id: str
    case_id: str
    role: str
    given_names: str
    surname: str
    date_of_birth: str | None
    occupation: str | None
    identifiers: dict[str, str]
    address: str | None
    postcode: str | None
    phone: str | None
    email: str | None
    mopi_group: int | None
    version: int

    @property
    def name(self) -> str:
        return f"{self.given_names} {self.surname.upper()}"

    @classmethod
    def of(cls, row: CasePerson) -> PersonView:
        return cls(
            row.id,
            row.case_id,
            row.role,
            row.given_names,
            row.surname,
            row.date_of_birth.isoformat() if row.date_of_birth else None,
            row.occupation,
            dict(row.identifiers or {}),
            row.address,
            row.postcode,
            row.phone,
            row.email,
            row.mopi_group,
            row.version,
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def record_view(session: Session, record: CaseRecord) -> RecordView:
    version = session.scalar(
        select(CaseRecordVersion).where(
            CaseRecordVersion.record_id == record.id, CaseRecordVersion.version == record.version
        )
    )
    assert version is not None
    return RecordView(
        record.id,
        record.case_id,
        record.form,
        record.title,
        record.state,
        record.version,
        orjson.loads(version.data),
        record.data_sha256,
        record.signature,
        record.linked_id,
        record.supersedes_id,
        record.person_id,
        record.created_at,
        record.updated_at,
    )


class RecordService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # --- helpers -------------------------------------------------------------------------

    def case_for(self, session: Session, principal: Principal, key: str, permission: Permission) -> Case:
        case = self.vault.evidence.find_case(session, principal, key)
        principal.require(permission, session, case.id)
        return case

    def _record(self, session: Session, record_id: str) -> CaseRecord:
        record = session.get(CaseRecord, record_id.strip().lower())
        if record is None:
            raise NotFound(f"no record {record_id}")
        return record

    def _event(
        self, ctx: WriteContext, principal: Principal, action: str, record: CaseRecord, **extra
    ) -> None:
        self.vault.record(
            ctx,
            principal,
            action,
            EventClass.CONTINUITY,
            case_id=record.case_id,
            details={
                "record": record.id,
                "form": record.form,
                "version": record.version,
                "data_sha256": record.data_sha256,
                "state": record.state,
                **extra,
            },
        )

    def _add_version(self, session: Session, principal: Principal, record: CaseRecord, data: dict) -> None:
        encoded, digest = data_hash(data)
        session.add(
            CaseRecordVersion(
                id=new_id(),
                record_id=record.id,
                version=record.version,
                data=encoded.decode(),
                data_sha256=digest,
                author_id=principal.user_id,
                created_at=self.vault.now(),
            )
        )
        record.data_sha256 = digest

    def new_record(
        self,
        ctx: WriteContext,
        principal: Principal,
        case_id: str,
        form: str,
        title: str,
        data: dict,
        *,
        person_id: str | None = None,
        linked_id: str | None = None,
        supersedes_id: str | None = None,
    ) -> CaseRecord:
        now = self.vault.now()
        record = CaseRecord(
            id=new_id(),
            case_id=case_id,
            form=form,
            title=title[:300],
            state="draft",
            version=1,
            data_sha256="",
            person_id=person_id,
            linked_id=linked_id,
            supersedes_id=supersedes_id,
            signature=None,
            created_by=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        ctx.session.add(record)
        ctx.session.flush()
        self._add_version(ctx.session, principal, record, data)
        self._event(ctx, principal, "casefile.record.create", record)
        return record

    # --- people --------------------------------------------------------------------------

    def add_person(self, principal: Principal, case_key: str, data: dict) -> PersonView:
        person = schemas.validate_person(data)
        with self.vault.reading() as session:
            case_id = self.case_for(session, principal, case_key, Permission.CASEFILE_WRITE).id

        def work(ctx: WriteContext) -> PersonView:
            now = self.vault.now()
            row = CasePerson(
                id=new_id(),
                case_id=case_id,
                role=person.role,
                given_names=person.given_names,
                surname=person.surname,
                date_of_birth=person.date_of_birth,
                occupation=person.occupation,
                identifiers=person.identifier_map,
                address=person.address,
                postcode=person.postcode,
                phone=person.phone,
                email=person.email,
                mopi_group=person.mopi_group,
                version=1,
                status="active",
                created_by=principal.user_id,
                created_at=now,
                updated_at=now,
            )
            ctx.session.add(row)
            ctx.session.flush()
            view = PersonView.of(row)
            self.vault.record(
                ctx,
                principal,
                "casefile.person.add",
                EventClass.CONTINUITY,
                case_id=case_id,
                details={
                    "person": row.id,
                    "role": row.role,
                    "version": 1,
                    "data_sha256": data_hash(view.as_dict())[1],
                },
            )
            return view

        return self.vault.write(work)

    def list_people(self, principal: Principal, case_key: str) -> list[PersonView]:
        with self.vault.reading() as session:
            case_id = self.case_for(session, principal, case_key, Permission.CASEFILE_READ).id
            self._police_only(session, principal, case_id)
            rows = session.scalars(
                select(CasePerson).where(CasePerson.case_id == case_id).order_by(CasePerson.created_at)
            )
            views = [PersonView.of(r) for r in rows]
        self.vault.consulted(
            principal, "casefile.person.list", case_id=case_id, details={"count": len(views)}
        )
        return views

    def _police_only(self, session: Session, principal: Principal, case_id: str) -> None:
        """People records (addresses, identifiers) are for those assigned to the case."""
        if not principal.assignments(session, case_id):
            raise NotFound("no such case, or you are not assigned to it")

    # --- forms ---------------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        case_key: str,
        form: str,
        data: dict,
        *,
        title: str | None = None,
        linked_id: str | None = None,
    ) -> RecordView:
        form = form.strip().upper()
        clean = schemas.validate_form(form, data)
        with self.vault.reading() as session:
            case = self.case_for(session, principal, case_key, Permission.CASEFILE_WRITE)
            case_id = case.id
            if form in ("MG6D", "MG6E", "SDC"):
                principal.require(Permission.DISCLOSURE_MANAGE, session, case_id)
            person_id = clean.get("person_id") if form == "MG11" else None
            if person_id and not session.get(CasePerson, person_id):
                raise InvalidInput(f"no person {person_id} on this case")
            if form == "MG11":
                self._check_exhibit_refs(session, case_id, clean["exhibits_produced"])
            if form == "MG11R":
                linked = self._record(session, linked_id or "") if linked_id else None
                if linked is None or linked.form != "MG11" or linked.case_id != case_id:
                    raise InvalidInput("an MG11 reverse belongs to an MG11 of the same case (--statement)")
            if form == "MG6D" and session.scalar(
                select(UnusedItem.id).where(UnusedItem.case_id == case_id, UnusedItem.schedule == "MG6D")
            ):
                raise Conflict("there is sensitive unused material: an MG6D nil return would be false")
        default_title = {
            "MG11": f"Statement of {clean.get('statement_of', '')}",
            "MG11R": "Statement reverse (not served)",
            "MG5": "Case summary",
            "MG6D": "MG6D nil return",
            "MG6E": "Disclosure officer's report",
            "SDC": "Streamlined Disclosure Certificate",
        }[form]

        def work(ctx: WriteContext) -> RecordView:
            record = self.new_record(
                ctx,
                principal,
                case_id,
                form,
                title or default_title,
                clean,
                person_id=person_id,
                linked_id=linked_id if form == "MG11R" else None,
            )
            return record_view(ctx.session, record)

        return self.vault.write(work)

    @staticmethod
    def _check_exhibit_refs(session: Session, case_id: str, refs: list[str]) -> None:
        wanted = [r.strip().upper() for r in refs]
        found = set(
            session.scalars(select(Exhibit.ref).where(Exhibit.case_id == case_id, Exhibit.ref.in_(wanted)))
        )
        missing = [r for r in wanted if r not in found]
        if missing:
            raise InvalidInput(f"no exhibit {', '.join(missing)} in this case")

    def update(self, principal: Principal, record_id: str, data: dict) -> RecordView:
        with self.vault.reading() as session:
            record = self._record(session, record_id)
            self.case_for(session, principal, record.case_id, Permission.CASEFILE_WRITE)
            form = record.form
        clean = schemas.validate_form(form, data)

        def work(ctx: WriteContext) -> RecordView:
            record = self._record(ctx.session, record_id)
            if record.state != "draft":
                hint = " (amend it: a change is a new statement)" if record.form == "MG11" else ""
                raise Conflict(f"this {record.form} is {record.state} and cannot change{hint}")
            if form == "MG11":
                self._check_exhibit_refs(ctx.session, record.case_id, clean["exhibits_produced"])
            record.version += 1
            record.updated_at = self.vault.now()
            self._add_version(ctx.session, principal, record, clean)
            self._event(ctx, principal, "casefile.record.update", record)
            return record_view(ctx.session, record)

        return self.vault.write(work)

    def sign(
        self,
        principal: Principal,
        record_id: str,
        *,
        signed_by: str,
        method: str = "typed-name",
        pages: int | None = None,
    ) -> RecordView:
        """E-signature: the signer's name and time, over the SHA-256 of this exact version."""
        signed_by = " ".join(signed_by.split())
        if not signed_by or len(signed_by) > 200:
            raise InvalidInput("give the signer's name (1-200 characters)")
        with self.vault.reading() as session:
            record = self._record(session, record_id)
            self.case_for(session, principal, record.case_id, Permission.CASEFILE_WRITE)
            if record.form not in SIGNABLE:
                raise InvalidInput(f"an {record.form} is signed off by a supervisor, not signed")
            if record.form in ("MG6D", "MG6E", "SDC"):
                principal.require(Permission.DISCLOSURE_MANAGE, session, record.case_id)
            if pages is None and record.form == "MG11":
                from exhibits.casefile.render import count_pages

                case = session.get(Case, record.case_id)
                assert case is not None
                pages = count_pages(record_view(session, record), case)

        def work(ctx: WriteContext) -> RecordView:
            record = self._record(ctx.session, record_id)
            if record.state != "draft":
                raise Conflict(f"this {record.form} is already {record.state}")
            now = self.vault.now()
            record.state = "signed"
            record.updated_at = now
            record.signature = {
                "signed_by": signed_by,
                "signed_at": iso_utc(now),
                "method": method,
                "recorded_by": principal.display,
                "version": record.version,
                "data_sha256": record.data_sha256,
                "pages": pages,
            }
            self._event(ctx, principal, "casefile.record.sign", record, signature=record.signature)
            return record_view(ctx.session, record)

        return self.vault.write(work)

    def amend_statement(self, principal: Principal, record_id: str, data: dict) -> RecordView:
        """A change to a signed MG11 is a new statement; the earlier one stays as relevant
        (unused) material on the MG6C, numbered like any other item."""
        clean = schemas.validate_form("MG11", data)
        with self.vault.reading() as session:
            old = self._record(session, record_id)
            self.case_for(session, principal, old.case_id, Permission.CASEFILE_WRITE)
            if old.form != "MG11":
                raise InvalidInput("only witness statements (MG11) are amended this way")
            self._check_exhibit_refs(session, old.case_id, clean["exhibits_produced"])

        def work(ctx: WriteContext) -> RecordView:
            session = ctx.session
            previous = self._record(session, record_id)
            if previous.state != "signed":
                raise Conflict("only a signed statement is amended; edit a draft instead")
            new = self.new_record(
                ctx,
                principal,
                previous.case_id,
                "MG11",
                previous.title,
                clean,
                person_id=previous.person_id,
                supersedes_id=previous.id,
            )
            previous.state = "superseded"
            previous.updated_at = self.vault.now()
            self._event(ctx, principal, "casefile.record.supersede", previous, superseded_by=new.id)
            # reverse parts follow the statement they belong to
            for reverse in session.scalars(select(CaseRecord).where(CaseRecord.linked_id == previous.id)):
                reverse.linked_id = new.id
            self.vault.casefile.disclosure.add_item_in(
                ctx,
                principal,
                previous.case_id,
                schedule="MG6C",
                description=(
                    f"Earlier statement of {previous.title.removeprefix('Statement of ')}, signed "
                    f"{(previous.signature or {}).get('signed_at', '')}, superseded by a later statement"
                ),
                location="Exhibits case file",
                record_id=previous.id,
            )
            return record_view(session, new)

        return self.vault.write(work)

    def sign_off(self, principal: Principal, record_id: str, *, note: str | None = None) -> RecordView:
        """A supervisor certifies the MG5; from then on it is locked."""
        with self.vault.reading() as session:
            record = self._record(session, record_id)
            principal.require(Permission.CASEFILE_SUPERVISE)
            self.case_for(session, principal, record.case_id, Permission.CASEFILE_READ)
            if record.form != "MG5":
                raise InvalidInput("supervisor sign-off applies to the MG5")

        def work(ctx: WriteContext) -> RecordView:
            record = self._record(ctx.session, record_id)
            if record.state != "draft":
                raise Conflict(f"this MG5 is already {record.state}")
            if record.created_by == principal.user_id:
                raise PermissionDenied("a supervisor cannot sign off an MG5 they wrote")
            now = self.vault.now()
            record.state = "locked"
            record.updated_at = now
            record.signature = {
                "signed_by": principal.display,
                "signed_at": iso_utc(now),
                "method": "supervisor-sign-off",
                "version": record.version,
                "data_sha256": record.data_sha256,
                "note": note,
            }
            self._event(ctx, principal, "casefile.record.lock", record, signature=record.signature)
            return record_view(ctx.session, record)

        return self.vault.write(work)

    # --- reading -------------------------------------------------------------------------

    def get(self, principal: Principal, record_id: str) -> RecordView:
        """One record. A partner sees only what was shared with them; the defence never sees a
        non-disclosable form: to them it does not exist."""
        with self.vault.reading() as session:
            record = session.get(CaseRecord, record_id.strip().lower())
            if record is None:
                raise NotFound(f"no record {record_id}")
            self.check_readable(session, principal, record)
            view = record_view(session, record)
        self.vault.consulted(
            principal,
            "casefile.record.view",
            case_id=view.case_id,
            details={"record": view.id, "form": view.form, **self.partner_details(principal)},
        )
        return view

    def check_readable(self, session: Session, principal: Principal, record: CaseRecord) -> None:
        if principal.assignments(session, record.case_id):
            principal.require(Permission.CASEFILE_READ, session, record.case_id)
            return
        if Role.DEFENCE in principal.roles and not defence_may_see(record.form):
            raise NotFound(f"no record {record.id}")
        if shared_item(session, principal, record.case_id, record_id=record.id) is None:
            raise NotFound(f"no record {record.id}")

    @staticmethod
    def partner_details(principal: Principal) -> dict[str, Any]:
        external = sorted(str(r) for r in principal.roles if r in (Role.PROSECUTOR, Role.DEFENCE))
        return {"partner_role": external[0]} if external else {}

    def list(self, principal: Principal, case_key: str, *, form: str | None = None) -> list[RecordView]:
        with self.vault.reading() as session:
            case_id = self.case_for(session, principal, case_key, Permission.CASEFILE_READ).id
            query = select(CaseRecord).where(CaseRecord.case_id == case_id)
            if form:
                query = query.where(CaseRecord.form == form.strip().upper())
            views = []
            for record in session.scalars(query.order_by(CaseRecord.created_at)):
                try:
                    self.check_readable(session, principal, record)
                except NotFound:
                    continue
                views.append(record_view(session, record))
        self.vault.consulted(
            principal,
            "casefile.record.list",
            case_id=case_id,
            details={"count": len(views), **self.partner_details(principal)},
        )
        return views

    def history(self, principal: Principal, record_id: str) -> list[dict[str, Any]]:
        with self.vault.reading() as session:
            record = self._record(session, record_id)
            self.check_readable(session, principal, record)
            record_case, record_key = record.case_id, record.id
            rows = session.scalars(
                select(CaseRecordVersion)
                .where(CaseRecordVersion.record_id == record.id)
                .order_by(CaseRecordVersion.version)
            )
            versions = [
                {
                    "version": v.version,
                    "data_sha256": v.data_sha256,
                    "at": iso_utc(v.created_at),
                    "data": orjson.loads(v.data),
                }
                for v in rows
            ]
        self.vault.consulted(
            principal, "casefile.record.history", case_id=record_case, details={"record": record_key}
        )
        return versions

    # --- MG12 ----------------------------------------------------------------------------

    def mg12(self, session: Session, case_id: str) -> list[dict[str, Any]]:
        """The exhibit list: every exhibit of the case that is evidence (not unused material,
        not disposed), with the statements that produce it."""
        unused = set(
            session.scalars(
                select(UnusedItem.exhibit_id).where(
                    UnusedItem.case_id == case_id, UnusedItem.exhibit_id.is_not(None)
                )
            )
        )
        producing: dict[str, list[str]] = {}
        statements = session.scalars(
            select(CaseRecord).where(
                CaseRecord.case_id == case_id, CaseRecord.form == "MG11", CaseRecord.state == "signed"
            )
        )
        for statement in statements:
            for ref in record_view(session, statement).data.get("exhibits_produced", []):
                producing.setdefault(ref.upper(), []).append(statement.title)
        exhibits = session.scalars(
            select(Exhibit)
            .where(Exhibit.case_id == case_id, Exhibit.status == "active")
            .order_by(Exhibit.created_at, Exhibit.ref)
        )
        return [
            {
                "exhibit_id": e.id,
                "ref": e.ref,
                "description": e.description or "",
                "producer": e.producer,
                "produced_in": producing.get(e.ref, []),
            }
            for e in exhibits
            if e.id not in unused
        ]
