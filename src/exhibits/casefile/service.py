"""The case file capability's entry point on the vault: ``vault.casefile``.

Each part is a small service; adapters (CLI, API) call these methods, which authorise,
log and return plain views.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from exhibits.access.permissions import Permission, Role
from exhibits.access.principal import Principal
from exhibits.casefile.forms import defence_may_see
from exhibits.casefile.models import CaseRecord
from exhibits.casefile.records import record_view
from exhibits.casefile.render import (
    document_json,
    mg12_document,
    record_document,
    render_pdf,
    schedule_document,
)
from exhibits.errors import NotFound

if TYPE_CHECKING:
    from exhibits.casefile.bundle.service import BundleService
    from exhibits.casefile.disclosure import DisclosureService
    from exhibits.casefile.records import RecordService
    from exhibits.casefile.retention import RetentionService
    from exhibits.casefile.sharing import SharingService
    from exhibits.vault import Vault


class CaseFileService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @cached_property
    def records(self) -> RecordService:
        from exhibits.casefile.records import RecordService

        return RecordService(self.vault)

    @cached_property
    def disclosure(self) -> DisclosureService:
        from exhibits.casefile.disclosure import DisclosureService

        return DisclosureService(self.vault)

    @cached_property
    def sharing(self) -> SharingService:
        from exhibits.casefile.sharing import SharingService

        return SharingService(self.vault)

    @cached_property
    def retention(self) -> RetentionService:
        from exhibits.casefile.retention import RetentionService

        return RetentionService(self.vault)

    @cached_property
    def bundles(self) -> BundleService:
        from exhibits.casefile.bundle.service import BundleService

        return BundleService(self.vault)

    # --- rendering ------------------------------------------------------------------------

    def render(
        self, principal: Principal, case_key: str, form_or_record: str
    ) -> tuple[str, bytes, dict[str, Any]]:
        """A form as (file stem, PDF bytes, JSON): a record by id, or MG12 / MG6C / MG6D by code."""
        key = form_or_record.strip()
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.CASEFILE_READ, session, case.id)
            stem, pdf, data = self.render_in(session, principal, case, key)
            case_id = case.id
        self.vault.consulted(
            principal,
            "casefile.form.render",
            case_id=case_id,
            details={"form": data["form"], "record": data.get("record", {}).get("id")},
        )
        return stem, pdf, data

    def render_in(self, session, principal: Principal, case, key: str) -> tuple[str, bytes, dict[str, Any]]:
        code = key.upper()
        assigned = bool(principal.assignments(session, case.id))
        if code in ("MG12", "MG6C", "MG6D"):
            if not assigned:
                if Role.DEFENCE in principal.roles and not defence_may_see(code):
                    raise NotFound(f"no {code} in this case")
                if Role.PROSECUTOR not in principal.roles and code not in self.sharing.shared_forms(
                    session, principal, case.id
                ):
                    raise NotFound(f"no {code} has been shared with you")
            return self.generated(session, case, code)
        record = session.get(CaseRecord, key.lower())
        if record is None or record.case_id != case.id:
            raise NotFound(f"no record {key} in this case")
        self.records.check_readable(session, principal, record)
        view = record_view(session, record)
        doc = record_document(view, case)
        return f"{view.form}-{view.id}", render_pdf(doc), document_json(doc, {"record": view.as_dict()})

    def generated(self, session, case, code: str) -> tuple[str, bytes, dict[str, Any]]:
        if code == "MG12":
            rows = self.records.mg12(session, case.id)
            doc = mg12_document(case, rows, case.updated_at)
            return "MG12", render_pdf(doc), document_json(doc, {"exhibits": rows})
        items = self.disclosure.items(session, case.id, code)
        nil = None
        if code == "MG6D" and not items:
            row = session.scalar(
                select(CaseRecord).where(
                    CaseRecord.case_id == case.id, CaseRecord.form == "MG6D", CaseRecord.state == "signed"
                )
            )
            nil = record_view(session, row) if row is not None else None
        latest = max([case.updated_at, *(i.item_date for i in items if i.item_date)])
        doc = schedule_document(case, code, items, latest, nil)
        payload: dict[str, Any] = {"items": [i.as_dict(for_defence=False) for i in items]}
        if nil is not None:
            payload["nil_return"] = nil.as_dict()
        return code, render_pdf(doc), document_json(doc, payload)
