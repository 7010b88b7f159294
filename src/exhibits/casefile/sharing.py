"""Sharing with criminal-justice partners: a named prosecutor or defence lawyer gets
read-only access to chosen exhibits, derivatives and forms, until an expiry, revocable at
once. Every access by a partner is a consultation event carrying the partner's identity,
organisation and the share it came through (DPA 2018 s.62: disclosure to recipients).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits.access.models import User
from exhibits.access.permissions import EXTERNAL_ROLES, Permission, Role
from exhibits.access.principal import Principal
from exhibits.casefile.access import active_shares, shared_item
from exhibits.casefile.derivatives import derivatives_of
from exhibits.casefile.forms import FORM_TYPES, defence_may_see
from exhibits.casefile.models import CaseRecord, Share, ShareItem
from exhibits.clock import iso_utc
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exhibits.evidence.models import Blob, Case, Exhibit, Media
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault

GENERATED_FORMS = ("MG12", "MG6C")
MAX_SHARE_DAYS = 366


@dataclass(frozen=True)
class ShareView:
    id: str
    case_id: str
    partner: str
    partner_role: str
    organisation: str | None
    allow_download: bool
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > datetime.now(self.expires_at.tzinfo)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "partner": self.partner,
            "partner_role": self.partner_role,
            "organisation": self.organisation,
            "allow_download": self.allow_download,
            "expires_at": iso_utc(self.expires_at),
            "created_at": iso_utc(self.created_at),
            "revoked_at": iso_utc(self.revoked_at) if self.revoked_at else None,
            "active": self.active,
            "items": self.items,
        }


def _items(session: Session, share: Share) -> list[dict[str, Any]]:
    out = []
    for item in session.scalars(select(ShareItem).where(ShareItem.share_id == share.id)):
        ref = session.get(Exhibit, item.exhibit_id).ref if item.exhibit_id else None  # type: ignore[union-attr]
        out.append(
            {
                "kind": item.kind,
                "exhibit": ref,
                "sha256": item.sha256,
                "record": item.record_id,
                "form": item.form,
            }
        )
    return out


def _view(session: Session, share: Share) -> ShareView:
    partner = session.get(User, share.partner_id)
    assert partner is not None
    return ShareView(
        share.id,
        share.case_id,
        f"{partner.name} ({partner.collar})",
        share.partner_role,
        share.organisation,
        share.allow_download,
        share.expires_at,
        share.created_at,
        share.revoked_at,
        _items(session, share),
    )


class SharingService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def create(
        self,
        principal: Principal,
        case_key: str,
        partner_collar: str,
        *,
        exhibits: list[str] = (),  # type: ignore[assignment]
        derivatives: list[str] = (),  # type: ignore[assignment]
        records: list[str] = (),  # type: ignore[assignment]
        forms: list[str] = (),  # type: ignore[assignment]
        expires_in: timedelta = timedelta(days=30),
        allow_download: bool = False,
    ) -> ShareView:
        if not timedelta(minutes=1) <= expires_in <= timedelta(days=MAX_SHARE_DAYS):
            raise InvalidInput(f"a share lasts between one minute and {MAX_SHARE_DAYS} days")
        if not (exhibits or derivatives or records or forms):
            raise InvalidInput("a share needs at least one exhibit, derivative or form")
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.SHARE_MANAGE, session, case.id)
            partner = self.vault.users.find(session, partner_collar)
            roles = {Role(r) for r in partner.roles} & EXTERNAL_ROLES
            if not partner.active or not roles:
                raise InvalidInput(f"{partner.collar} is not an active prosecutor or defence user")
            role = Role.DEFENCE if Role.DEFENCE in roles else Role.PROSECUTOR
            planned = self._plan(session, principal, case, role, exhibits, derivatives, records, forms)
            case_id, partner_id, organisation = case.id, partner.id, partner.organisation

        def work(ctx: WriteContext) -> ShareView:
            now = self.vault.now()
            share = Share(
                id=new_id(),
                case_id=case_id,
                partner_id=partner_id,
                partner_role=str(role),
                organisation=organisation,
                allow_download=allow_download,
                expires_at=now + expires_in,
                created_by=principal.user_id,
                created_at=now,
            )
            ctx.session.add(share)
            ctx.session.flush()
            for item in planned:
                ctx.session.add(ShareItem(id=new_id(), share_id=share.id, **item))
            ctx.session.flush()
            view = _view(ctx.session, share)
            self.vault.record(
                ctx,
                principal,
                "share.create",
                EventClass.CONTINUITY,
                case_id=case_id,
                outputs=sorted({i["sha256"] for i in planned if i.get("sha256")}),
                details={
                    "share": share.id,
                    "partner": partner_id,
                    "partner_role": str(role),
                    "organisation": organisation,
                    "expires_at": iso_utc(share.expires_at),
                    "allow_download": allow_download,
                    "items": view.items,
                },
            )
            return view

        return self.vault.write(work)

    def _plan(self, session, principal, case: Case, role: Role, exhibits, derivatives, records, forms):
        planned: list[dict[str, Any]] = []
        for ref in exhibits:
            exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
            media = session.get(Media, exhibit.media_id)
            assert media is not None
            planned.append({"kind": "exhibit", "exhibit_id": exhibit.id, "sha256": media.sha256})
        if derivatives:
            ids = list(session.scalars(select(Exhibit.id).where(Exhibit.case_id == case.id)))
            known = {d.sha256: d for d in derivatives_of(self.vault, session, ids)}
            for sha in derivatives:
                derivative = known.get(sha.strip().lower())
                if derivative is None:
                    raise NotFound(f"no derivative {sha} of an exhibit in this case")
                planned.append(
                    {"kind": "derivative", "exhibit_id": derivative.exhibit_id, "sha256": derivative.sha256}
                )
        for record_id in records:
            record = session.get(CaseRecord, record_id.strip().lower())
            if record is None or record.case_id != case.id:
                raise NotFound(f"no record {record_id} in this case")
            if role == Role.DEFENCE and not defence_may_see(record.form):
                raise InvalidInput(
                    f"an {record.form} ({FORM_TYPES[record.form].title}) is never served on the defence"
                )
            planned.append({"kind": "form", "record_id": record.id})
        for code in forms:
            code = code.strip().upper()
            if code not in GENERATED_FORMS:
                raise InvalidInput(
                    f"share generated forms by code ({', '.join(GENERATED_FORMS)}); others by record id"
                )
            planned.append({"kind": "form", "form": code})
        return planned

    def revoke(self, principal: Principal, share_id: str, reason: str | None = None) -> ShareView:
        with self.vault.reading() as session:
            share = session.get(Share, share_id.strip().lower())
            if share is None:
                raise NotFound(f"no share {share_id}")
            principal.require(Permission.SHARE_MANAGE, session, share.case_id)
            share_key = share.id

        def work(ctx: WriteContext) -> ShareView:
            row = ctx.session.get(Share, share_key)
            assert row is not None
            if row.revoked_at is not None:
                raise Conflict("this share is already revoked")
            row.revoked_at, row.revoked_by, row.revoke_reason = self.vault.now(), principal.user_id, reason
            self.vault.record(
                ctx,
                principal,
                "share.revoke",
                EventClass.CONTINUITY,
                case_id=row.case_id,
                details={"share": row.id, "partner": row.partner_id, "reason": reason},
            )
            return _view(ctx.session, row)

        return self.vault.write(work)

    def list(self, principal: Principal, case_key: str) -> list[ShareView]:
        with self.vault.reading() as session:
            case_id = self.vault.evidence.find_case(session, principal, case_key).id
            principal.require(Permission.SHARE_MANAGE, session, case_id)
            views = [
                _view(session, s)
                for s in session.scalars(
                    select(Share).where(Share.case_id == case_id).order_by(Share.created_at)
                )
            ]
        self.vault.consulted(principal, "share.list", case_id=case_id, details={"count": len(views)})
        return views

    # --- the partner's side ---------------------------------------------------------------

    def _partner_details(self, principal: Principal, share: Share) -> dict[str, Any]:
        return {
            "share": share.id,
            "partner": principal.user_id,
            "partner_name": principal.name,
            "partner_role": share.partner_role,
            "organisation": share.organisation,
        }

    def partner_cases(self, principal: Principal) -> list[dict[str, Any]]:
        with self.vault.reading() as session:
            cases: dict[str, dict[str, Any]] = {}
            for share in active_shares(session, principal):
                case = session.get(Case, share.case_id)
                assert case is not None
                cases.setdefault(
                    case.id,
                    {
                        "case_id": case.id,
                        "crime_ref": case.crime_ref,
                        "urn": case.urn,
                        "title": case.title,
                        "shares": [],
                    },
                )["shares"].append(share.id)
        self.vault.consulted(principal, "share.cases", details={"count": len(cases)})
        return list(cases.values())

    def partner_items(self, principal: Principal, case_key: str) -> list[dict[str, Any]]:
        """What this partner may see in a case, through every active share."""
        with self.vault.reading() as session:
            case_id = self.vault.evidence.find_case(session, principal, case_key).id
            shares = active_shares(session, principal, case_id)
            if not shares:
                raise NotFound("no such case, or you are not assigned to it")
            items: list[dict[str, Any]] = []
            for share in shares:
                for item in _items(session, share):
                    items.append(
                        {
                            **item,
                            "share": share.id,
                            "download": share.allow_download,
                            "expires_at": iso_utc(share.expires_at),
                        }
                    )
            share_ids = [s.id for s in shares]
            role, organisation = shares[0].partner_role, shares[0].organisation
        self.vault.consulted(
            principal,
            "share.items",
            case_id=case_id,
            details={
                "count": len(items),
                "shares": share_ids,
                "partner_role": role,
                "organisation": organisation,
            },
        )
        return items

    def shared_forms(self, session: Session, principal: Principal, case_id: str) -> set[str]:
        forms: set[str] = set()
        for share in active_shares(session, principal, case_id):
            forms.update(
                f for f in session.scalars(select(ShareItem.form).where(ShareItem.share_id == share.id)) if f
            )
        return forms

    def open_content(
        self,
        principal: Principal,
        case_key: str,
        item: str,
        *,
        out: Path | None = None,
        justification: str | None = None,
    ) -> dict[str, Any]:
        """A partner views (or, where allowed, downloads to ``out``) shared content, named by
        exhibit reference or SHA-256. Logged with the partner's identity before it is given."""
        result = self.authorise_content(
            principal, case_key, item, download=out is not None, justification=justification
        )
        if out is not None:
            from exhibits.casefile.bundle.service import _copy_checked  # re-hashes on the way out

            _copy_checked(self.vault, result["sha256"], out)
            result["written_to"] = str(out)
        return result

    def authorise_content(
        self, principal: Principal, case_key: str, item: str, *, download: bool, justification: str | None
    ) -> dict[str, Any]:
        """Check a partner's access to shared content and log it; the adapter then streams
        ``sha256`` from the blob store (the API) or writes it to a file (the CLI)."""
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            key = item.strip()
            exhibit = session.scalar(
                select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.ref == key.upper())
            )
            if exhibit is not None:
                media = session.get(Media, exhibit.media_id)
                found = shared_item(session, principal, case.id, exhibit_id=exhibit.id, sha256=media.sha256)  # type: ignore[union-attr]
            else:
                found = shared_item(session, principal, case.id, sha256=key.lower())
            if found is None:
                raise NotFound(f"nothing called {item} has been shared with you in this case")
            share, shared = found
            if download and not share.allow_download:
                raise PermissionDenied("this share allows viewing only, not download")
            sha256 = shared.sha256
            blob = session.get(Blob, sha256)
            if blob is None or blob.disposed_at is not None:
                raise NotFound("this content is no longer held")
            details = self._partner_details(principal, share)
            exhibit_id, case_id = shared.exhibit_id, case.id
            result: dict[str, Any] = {"sha256": sha256, "size": blob.size, "mime_type": blob.mime_type}
        action = "share.content.download" if download else "share.content.view"
        self.vault.consulted(
            principal,
            action,
            case_id=case_id,
            exhibit_id=exhibit_id,
            sha256=sha256,
            justification=justification,
            details=details,
        )
        return result
