"""Retention and disposal: rules, holds, review decisions, and disposal with a certificate.

Rules (shared/reference/standards.md section 3):
- case evidence: CPIA 1996 Code of Practice para 5 (retain until a decision not to
  prosecute, or the end of proceedings; after conviction until release from custody, and at
  least six months from conviction) with review periods from force policy under the NPCC
  National Digital and Physical Evidence Retention Guidance (2021);
- records about people: MoPI review (now the Police information and records management
  Code of Practice): group 1 retained to the subject's 100th birthday with reviews every
  10 years, group 2 after a 10-year clear period, group 3 after 6 years, group 4 periodically;
- unassigned non-evidential footage: a short default (31 days is common force policy).
Holds (appeal, CCRC, IOPC, civil claim, inquest) block disposal. Nothing is deleted
without a supervisor's recorded decision; the log keeps a signed certificate for ever.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.casefile.models import CaseOutcome, CasePerson, RetentionDecision, RetentionHold
from exhibits.clock import iso_utc
from exhibits.custody.canonical import canonical
from exhibits.custody.events import EventClass, EventDraft
from exhibits.custody.models import CustodyEventRow
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exhibits.evidence.models import Blob, Case, Exhibit, Media
from exhibits.ids import new_id
from exhibits.vault.verify import DISPOSE_ACTION

if TYPE_CHECKING:
    from exhibits.vault import Vault


class Outcome(StrEnum):
    NO_FURTHER_ACTION = "nfa"  # decision not to prosecute
    ACQUITTED = "acquitted"
    DISCONTINUED = "discontinued"
    CONVICTED = "convicted"
    UNDETECTED = "undetected"  # filed, no suspect: NPCC strand 2


HOLD_KINDS = {
    "appeal": "Appeal in progress",
    "ccrc": "Criminal Cases Review Commission application",
    "iopc": "IOPC complaint or investigation",
    "civil": "Civil claim",
    "inquest": "Coroner's inquest",
}


class RetentionSettings(BaseModel):
    """Force policy, in ``[retention]`` of exhibits.toml (CPIA minimums are never shortened)."""

    nfa_review_days: int = Field(default=365, ge=0)
    acquittal_review_days: int = Field(default=365, ge=0)
    undetected_review_days: int = Field(default=730, ge=0)
    conviction_minimum_days: int = Field(default=183, ge=183)  # CPIA 5.9: at least 6 months
    mopi_clear_years: dict[int, int] = Field(default_factory=lambda: {1: 10, 2: 10, 3: 6, 4: 2})


@dataclass(frozen=True)
class Rule:
    review_on: date | None  # None: not yet (the case is live or a date is awaited)
    basis: str


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def evidence_rule(outcome: CaseOutcome | None, policy: RetentionSettings) -> Rule:
    """When case evidence first falls due for review under CPIA para 5 and force policy."""
    if outcome is None:
        return Rule(None, "CPIA Code para 5: retain at least until the case is decided")
    kind = Outcome(outcome.outcome)
    if kind == Outcome.NO_FURTHER_ACTION:
        return Rule(
            outcome.outcome_date + timedelta(days=policy.nfa_review_days),
            "CPIA Code para 5 (decision not to prosecute); NPCC 2021 review period",
        )
    if kind in (Outcome.ACQUITTED, Outcome.DISCONTINUED):
        return Rule(
            outcome.outcome_date + timedelta(days=policy.acquittal_review_days),
            f"CPIA Code para 5 (proceedings ended: {kind.value}); NPCC 2021 review period",
        )
    if kind == Outcome.UNDETECTED:
        return Rule(
            outcome.outcome_date + timedelta(days=policy.undetected_review_days),
            "NPCC 2021 strand 2 (not progressable): periodic review",
        )
    minimum = outcome.outcome_date + timedelta(days=policy.conviction_minimum_days)
    if outcome.custodial:
        if outcome.release_date is None:
            return Rule(
                None, "CPIA Code para 5: custodial sentence, retain until release (date not yet recorded)"
            )
        return Rule(
            max(outcome.release_date, minimum),
            "CPIA Code para 5: until release from custody, and at least 6 months from conviction",
        )
    return Rule(minimum, "CPIA Code para 5: at least 6 months from conviction")


def person_rule(person: CasePerson, outcome: CaseOutcome | None, policy: RetentionSettings) -> Rule:
    """MoPI review of a record about a person."""
    group = person.mopi_group or (outcome.offence_group if outcome else None) or 3
    last = max(person.updated_at.date(), outcome.outcome_date if outcome else person.updated_at.date())
    if group == 1:
        next_review = add_years(last, policy.mopi_clear_years[1])
        if person.date_of_birth:
            next_review = min(next_review, add_years(person.date_of_birth, 100))
        return Rule(next_review, "MoPI group 1 (public protection): review every 10 years, keep to age 100")
    years = policy.mopi_clear_years.get(group, 6)
    labels = {2: "other sexual, violent or serious offences", 3: "all other offences", 4: "undetected crime"}
    return Rule(add_years(last, years), f"MoPI group {group} ({labels.get(group, '')}): {years}-year review")


@dataclass
class DueItem:
    subject: str  # media, exhibit, person
    id: str
    case_id: str | None
    case_ref: str | None
    label: str
    review_on: date | None
    basis: str
    holds: list[str] = field(default_factory=list)
    decision: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "review_on": self.review_on.isoformat() if self.review_on else None}


class RetentionService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @property
    def policy(self) -> RetentionSettings:
        return self.vault.settings.section("retention", RetentionSettings)

    # --- outcomes and holds --------------------------------------------------------------

    def record_outcome(
        self,
        principal: Principal,
        case_key: str,
        outcome: str,
        outcome_date: date,
        *,
        custodial: bool = False,
        release_date: date | None = None,
        offence_group: int | None = None,
    ) -> None:
        try:
            kind = Outcome(outcome.strip().lower())
        except ValueError:
            raise InvalidInput(f"outcome is one of {', '.join(o.value for o in Outcome)}") from None
        if custodial and kind != Outcome.CONVICTED:
            raise InvalidInput("only a conviction has a custodial sentence")
        if release_date and release_date < outcome_date:
            raise InvalidInput("release cannot come before conviction")
        if offence_group is not None and offence_group not in (1, 2, 3, 4):
            raise InvalidInput("the MoPI group is 1, 2, 3 or 4")
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.CASE_UPDATE, session, case.id)
            case_id = case.id

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(CaseOutcome, case_id) or CaseOutcome(case_id=case_id)
            row.outcome, row.outcome_date, row.custodial = str(kind), outcome_date, custodial
            row.release_date, row.offence_group = release_date, offence_group
            row.recorded_by, row.recorded_at = principal.user_id, self.vault.now()
            ctx.session.add(row)
            self.vault.record(
                ctx,
                principal,
                "retention.outcome",
                EventClass.CONTINUITY,
                case_id=case_id,
                details={
                    "outcome": str(kind),
                    "date": outcome_date.isoformat(),
                    "custodial": custodial,
                    "release_date": release_date.isoformat() if release_date else None,
                    "offence_group": offence_group,
                },
            )

        self.vault.write(work)

    def place_hold(
        self,
        principal: Principal,
        kind: str,
        reason: str,
        *,
        case_key: str | None = None,
        media_key: str | None = None,
        reference: str | None = None,
    ) -> str:
        kind = kind.strip().lower()
        if kind not in HOLD_KINDS:
            raise InvalidInput(f"a hold is one of {', '.join(HOLD_KINDS)}")
        if not reason.strip():
            raise InvalidInput("a hold needs a reason")
        if (case_key is None) == (media_key is None):
            raise InvalidInput("hold a case or an item of media, not both")
        with self.vault.reading() as session:
            case_id = media_id = None
            if case_key:
                case = self.vault.evidence.find_case(session, principal, case_key)
                if not principal.has(Permission.RETENTION_REVIEW):
                    principal.require(Permission.CASE_UPDATE, session, case.id)
                case_id = case.id
            else:
                principal.require(Permission.RETENTION_REVIEW)
                media_id = self.vault.evidence.resolve_media(session, principal, media_key or "").id

        def work(ctx: WriteContext) -> str:
            hold = RetentionHold(
                id=new_id(),
                case_id=case_id,
                media_id=media_id,
                kind=kind,
                reference=reference,
                reason=reason.strip(),
                placed_by=principal.user_id,
                placed_at=self.vault.now(),
            )
            ctx.session.add(hold)
            self.vault.record(
                ctx,
                principal,
                "retention.hold",
                EventClass.CONTINUITY,
                case_id=case_id,
                media_id=media_id,
                details={"hold": hold.id, "kind": kind, "reference": reference, "reason": reason.strip()},
            )
            return hold.id

        return self.vault.write(work)

    def lift_hold(self, principal: Principal, hold_id: str, reason: str) -> None:
        principal.require(Permission.RETENTION_REVIEW)
        if not reason.strip():
            raise InvalidInput("lifting a hold needs a reason")

        def work(ctx: WriteContext) -> None:
            hold = ctx.session.get(RetentionHold, hold_id.strip().lower())
            if hold is None:
                raise NotFound(f"no hold {hold_id}")
            if hold.lifted_at is not None:
                raise Conflict("this hold is already lifted")
            hold.lifted_by, hold.lifted_at, hold.lift_reason = (
                principal.user_id,
                self.vault.now(),
                reason.strip(),
            )
            self.vault.record(
                ctx,
                principal,
                "retention.hold.lift",
                EventClass.CONTINUITY,
                case_id=hold.case_id,
                media_id=hold.media_id,
                details={"hold": hold.id, "kind": hold.kind, "reason": reason.strip()},
            )

        self.vault.write(work)

    @staticmethod
    def holds_on(session: Session, *, case_ids: list[str] = (), media_ids: list[str] = ()) -> list[str]:  # type: ignore[assignment]
        rows = session.scalars(
            select(RetentionHold).where(
                RetentionHold.lifted_at.is_(None),
                RetentionHold.case_id.in_(list(case_ids)) | RetentionHold.media_id.in_(list(media_ids)),
            )
        )
        return [f"{HOLD_KINDS[h.kind]}" + (f" ({h.reference})" if h.reference else "") for h in rows]

    # --- the review queue ----------------------------------------------------------------

    def queue(
        self, principal: Principal, *, as_of: date | None = None, include_future: bool = False
    ) -> list[DueItem]:
        """What is due for review (or, with include_future, everything with its date)."""
        principal.require(Permission.RETENTION_REVIEW)
        today = as_of or self.vault.now().date()
        policy = self.policy
        items: list[DueItem] = []
        with self.vault.reading() as session:
            decisions = {
                key: (d.decision, d.retain_until, d.reason)
                for key, d in self._latest_decisions(session).items()
            }
            # unassigned media: the short default
            for media in session.scalars(
                select(Media).where(Media.status == "active", Media.review_after.is_not(None))
            ):
                if session.scalar(select(Exhibit.id).where(Exhibit.media_id == media.id).limit(1)):
                    continue
                assert media.review_after is not None
                items.append(
                    DueItem(
                        "media",
                        media.id,
                        None,
                        None,
                        " ".join(
                            f"unassigned {media.source} {media.device_id or ''} "
                            f"{media.incident_ref or ''}".split()
                        ),
                        media.review_after.date(),
                        "Unassigned non-evidential footage: force default",
                        self.holds_on(session, media_ids=[media.id]),
                    )
                )
            for case in session.scalars(select(Case)):
                outcome = session.get(CaseOutcome, case.id)
                rule = evidence_rule(outcome, policy)
                holds = self.holds_on(session, case_ids=[case.id])
                exhibits = session.scalars(
                    select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.status == "active")
                )
                for exhibit in exhibits:
                    items.append(
                        DueItem(
                            "exhibit",
                            exhibit.id,
                            case.id,
                            case.crime_ref,
                            f"{exhibit.ref} {exhibit.description or ''}".strip(),
                            rule.review_on,
                            rule.basis,
                            holds + self.holds_on(session, media_ids=[exhibit.media_id]),
                        )
                    )
                for person in session.scalars(
                    select(CasePerson).where(CasePerson.case_id == case.id, CasePerson.status == "active")
                ):
                    prule = person_rule(person, outcome, policy)
                    items.append(
                        DueItem(
                            "person",
                            person.id,
                            case.id,
                            case.crime_ref,
                            f"{person.role}: {person.given_names} {person.surname}",
                            prule.review_on,
                            prule.basis,
                            holds,
                        )
                    )
        result = []
        for item in items:
            decision = decisions.get((item.subject, item.id))
            if decision is not None:
                item.decision, retain_until, reason = decision
                if item.decision == "retain" and retain_until:
                    item.review_on = retain_until
                    item.basis = f"retained by review decision: {reason}"
            if include_future or (item.review_on is not None and item.review_on <= today):
                result.append(item)
        result.sort(key=lambda i: (i.review_on or date.max, i.subject, i.label))
        self.vault.consulted(principal, "retention.queue", details={"count": len(result)})
        return result

    @staticmethod
    def _latest_decisions(session: Session) -> dict[tuple[str, str], RetentionDecision]:
        latest: dict[tuple[str, str], RetentionDecision] = {}
        for row in session.scalars(select(RetentionDecision).order_by(RetentionDecision.decided_at)):
            latest[(row.subject, row.subject_id)] = row
        return latest

    # --- decisions and disposal ----------------------------------------------------------

    def decide(
        self,
        principal: Principal,
        subject: str,
        subject_id: str,
        decision: str,
        reason: str,
        *,
        retain_until: date | None = None,
        authority: str | None = None,
    ) -> str:
        principal.require(Permission.RETENTION_REVIEW)
        subject, decision = subject.strip().lower(), decision.strip().lower()
        if subject not in ("media", "exhibit", "person"):
            raise InvalidInput("the subject of a decision is media, exhibit or person")
        if decision not in ("retain", "dispose"):
            raise InvalidInput("a review decides to retain or to dispose")
        if not reason.strip():
            raise InvalidInput("a retention decision needs its reasons")
        if decision == "retain" and retain_until is None:
            raise InvalidInput("a decision to retain gives the date of the next review")
        with self.vault.reading() as session:
            case_id, media_id, _ = self._subject(session, subject, subject_id)

        def work(ctx: WriteContext) -> str:
            row = RetentionDecision(
                id=new_id(),
                subject=subject,
                subject_id=subject_id,
                case_id=case_id,
                decision=decision,
                retain_until=retain_until,
                reason=reason.strip(),
                authority=authority,
                decided_by=principal.user_id,
                decided_at=self.vault.now(),
            )
            ctx.session.add(row)
            self.vault.record(
                ctx,
                principal,
                "retention.decision",
                EventClass.CONTINUITY,
                case_id=case_id,
                media_id=media_id,
                exhibit_id=subject_id if subject == "exhibit" else None,
                details={
                    "decision": decision,
                    "subject": subject,
                    "subject_id": subject_id,
                    "retain_until": retain_until.isoformat() if retain_until else None,
                    "reason": reason.strip(),
                    "authority": authority,
                },
            )
            return row.id

        return self.vault.write(work)

    @staticmethod
    def _subject(session: Session, subject: str, subject_id: str) -> tuple[str | None, str | None, Any]:
        if subject == "media":
            media = session.get(Media, subject_id)
            if media is None:
                raise NotFound(f"no media {subject_id}")
            return None, media.id, media
        if subject == "exhibit":
            exhibit = session.get(Exhibit, subject_id)
            if exhibit is None:
                raise NotFound(f"no exhibit {subject_id}")
            return exhibit.case_id, exhibit.media_id, exhibit
        person = session.get(CasePerson, subject_id)
        if person is None:
            raise NotFound(f"no person record {subject_id}")
        return person.case_id, None, person

    def dispose(
        self, principal: Principal, subject: str, subject_id: str, *, reason: str, authority: str
    ) -> dict:
        """Carry out a recorded decision to dispose. Content goes only when nothing else holds
        it; a signed certificate stays in the custody log, which is never cut."""
        principal.require(Permission.RETENTION_REVIEW)
        if not reason.strip() or not authority.strip():
            raise InvalidInput("disposal needs the reason and the authority (e.g. the retention rule)")
        subject = subject.strip().lower()
        with self.vault.reading() as session:
            case_id, media_id, _ = self._subject(session, subject, subject_id)
            decision = self._latest_decisions(session).get((subject, subject_id))
            if decision is None or decision.decision != "dispose":
                raise PermissionDenied("no supervisor's decision to dispose of this is recorded")
            holds = self.holds_on(
                session, case_ids=[case_id] if case_id else [], media_ids=[media_id] if media_id else []
            )
            if holds:
                raise Conflict(f"disposal is blocked by a hold: {'; '.join(holds)}")
            decision_id = decision.id

        if subject == "person":
            return self._dispose_person(principal, subject_id, reason, authority, decision_id)

        def work(ctx: WriteContext) -> tuple[EventDraft, str | None, dict]:
            session = ctx.session
            now = self.vault.now()
            media = session.get(Media, media_id)
            assert media is not None
            blob = session.get(Blob, media.sha256)
            assert blob is not None
            what: dict[str, Any] = {
                "media": media.id,
                "sha256": media.sha256,
                "size": blob.size,
                "mime_type": blob.mime_type,
                "original_name": media.original_name,
            }
            exhibit_id = None
            if subject == "exhibit":
                exhibit = session.get(Exhibit, subject_id)
                assert exhibit is not None
                if exhibit.status == "disposed":
                    raise Conflict("this exhibit has already been disposed of")
                exhibit.status = "disposed"
                exhibit_id = exhibit.id
                what.update({"exhibit": exhibit.id, "ref": exhibit.ref, "description": exhibit.description})
            elif media.status == "disposed":
                raise Conflict("this media has already been disposed of")
            # the media arrival goes once no exhibit of it remains
            live_exhibits = session.scalars(
                select(Exhibit.id).where(Exhibit.media_id == media.id, Exhibit.status == "active")
            ).all()
            if not live_exhibits:
                media.status = "disposed"
            # the content goes once no other arrival or exhibit holds it
            sharers = [
                m.id
                for m in session.scalars(
                    select(Media).where(Media.sha256 == media.sha256, Media.status == "active")
                )
            ]
            certificate = {
                "what": what,
                "hash": media.sha256,
                "who": principal.actor.as_leaf(),
                "when": iso_utc(now),
                "why": reason.strip(),
                "authority": authority.strip(),
                "decision": decision_id,
                "content_removed": not sharers,
                "still_held_by": len(sharers),
            }
            signed = self._sign_certificate(certificate)
            draft = self.vault.record(
                ctx,
                principal,
                DISPOSE_ACTION if not sharers else "exhibit.dispose",
                EventClass.CONTINUITY,
                case_id=case_id,
                exhibit_id=exhibit_id,
                media_id=media.id,
                sha256=media.sha256,
                inputs=[media.sha256],
                details={"certificate": certificate, **signed},
            )
            return draft, (media.sha256 if not sharers else None), certificate

        draft, removed_sha, certificate = self.vault.write(work)
        if removed_sha is not None:
            self._finish_disposal(removed_sha, draft.seq)
        return {**certificate, "event": draft.seq}

    def _sign_certificate(self, certificate: dict) -> dict[str, str]:
        signer = self.vault.signer
        signature = signer.sign(canonical(certificate))
        return {
            "certificate_signature": base64.b64encode(signature).decode(),
            "signed_by_key": signer.verifier.vkey(),
        }

    def _finish_disposal(self, sha256: str, seq: int | None) -> None:
        """Mark the content disposed (pointing at its certificate), then remove the bytes.
        Re-runnable: a crash in between leaves the bytes and ``finish`` completes it."""

        def mark(ctx: WriteContext) -> None:
            blob = ctx.session.get(Blob, sha256)
            assert blob is not None
            if blob.disposed_at is None:
                blob.disposed_at = self.vault.now()
                blob.disposal_seq = seq

        self.vault.write(mark)
        self.vault.blobs.delete(sha256)

    def finish_interrupted(self, principal: Principal) -> int:
        """Complete disposals whose certificate is logged but whose content is still held."""
        principal.require(Permission.RETENTION_REVIEW)
        done = 0
        with self.vault.reading() as session:
            pending = []
            for row in session.scalars(
                select(CustodyEventRow).where(CustodyEventRow.action == DISPOSE_ACTION)
            ):
                blob = session.get(Blob, row.sha256)
                live = session.scalar(
                    select(Media.id).where(Media.sha256 == row.sha256, Media.status == "active")
                )
                if (
                    blob is not None
                    and live is None
                    and (blob.disposed_at is None or self.vault.blobs.exists(blob.sha256))
                ):
                    pending.append((row.sha256, blob.disposal_seq or row.seq))
        for sha256, seq in pending:
            self._finish_disposal(sha256, seq)
            done += 1
        return done

    def _dispose_person(
        self, principal: Principal, person_id: str, reason: str, authority: str, decision_id: str
    ) -> dict:
        def work(ctx: WriteContext) -> dict:
            person = ctx.session.get(CasePerson, person_id)
            assert person is not None
            if person.status == "disposed":
                raise Conflict("this person record has already been disposed of")
            certificate = {
                "what": {"person": person.id, "role": person.role},
                "who": principal.actor.as_leaf(),
                "when": iso_utc(self.vault.now()),
                "why": reason.strip(),
                "authority": authority.strip(),
                "decision": decision_id,
            }
            # MoPI: the record's content goes; the fact that it existed and was reviewed stays in the log
            person.status = "disposed"
            person.given_names, person.surname, person.date_of_birth = "(disposed)", "(disposed)", None
            person.identifiers, person.address, person.postcode, person.phone, person.email = (
                {},
                None,
                None,
                None,
                None,
            )
            person.version += 1
            self.vault.record(
                ctx,
                principal,
                "person.dispose",
                EventClass.CONTINUITY,
                case_id=person.case_id,
                details={"certificate": certificate, **self._sign_certificate(certificate)},
            )
            return certificate

        return self.vault.write(work)
