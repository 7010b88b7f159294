"""Cross-case links: "also appears in" other cases the user may see, with the evidence.

Every normalised entity value is indexed across the force (entity_occurrences). A case's
values are looked up in the exhibits of every other case the user may see: identifiers
match exactly (registration, phone, email, NINO, PNC ID, CRO), postcodes weakly, person
names by phonetic key then scored by edit distance. A person confirms or rejects each
suggested link; decisions are kept (append-only) and the latest one stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput
from exhibits.evidence.models import Case
from exhibits.evidence.views import CaseView
from exhibits.ids import new_id
from exhibits.search.matching import NAME_MATCH_THRESHOLD, name_score
from exhibits.search.models import LinkDecision

if TYPE_CHECKING:
    from exhibits.vault import Vault

EXACT = {"vrm": 1.0, "phone": 1.0, "email": 1.0, "nino": 1.0, "pnc_id": 1.0, "cro": 1.0, "postcode": 0.5}
LINKED_TYPES = (*EXACT, "person")
DECISIONS = ("confirmed", "rejected")

# Entity occurrences in force for an exhibit: its own correction if it has one, else the
# machine's for its content.
OCCURRENCES = """
SELECT o.type, o.value, o.key, o.text, o.locator, e.id, e.ref, e.case_id, o.sha256
FROM entity_occurrences o
JOIN media m ON m.sha256 = o.sha256
JOIN exhibits e ON e.media_id = m.id
WHERE e.case_id IN :cases AND e.status = 'active' AND e.restricted = :false
  AND ((o.exhibit_id IS NULL AND NOT EXISTS (SELECT 1 FROM analysis_revisions r
          WHERE r.exhibit_id = e.id AND r.kind = 'entities'))
       OR o.exhibit_id = e.id)
  AND o.type IN :types
"""


@dataclass
class Evidence:
    type: str
    value: str
    other_value: str
    score: float
    here: dict[str, Any]
    there: dict[str, Any]
    decision: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Link:
    case_id: str
    case_ref: str
    title: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def decision(self) -> str | None:
        decided = {e.decision for e in self.evidence if e.decision}
        if "confirmed" in decided:
            return "confirmed"
        if decided == {"rejected"} and all(e.decision for e in self.evidence):
            return "rejected"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_ref": self.case_ref,
            "title": self.title,
            "score": self.score,
            "decision": self.decision,
            "evidence": [e.as_dict() for e in self.evidence],
        }


def _occurrences(session: Session, cases: set[str], extra: str = "", **params: Any) -> list[dict[str, Any]]:
    statement = text(OCCURRENCES + extra).bindparams(
        bindparam("cases", expanding=True),
        bindparam("types", expanding=True),
        *[bindparam(name, expanding=True) for name, value in params.items() if isinstance(value, list)],
    )
    rows = session.execute(
        statement, {"cases": sorted(cases), "types": list(LINKED_TYPES), "false": False, **params}
    )
    keys = ("type", "value", "key", "text", "locator", "exhibit_id", "exhibit_ref", "case_id", "sha256")
    found = [dict(zip(keys, row, strict=True)) for row in rows]
    for row in found:  # a JSON column read through text() is a string on SQLite
        if isinstance(row["locator"], str):
            row["locator"] = json.loads(row["locator"])
    return found


def _place(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "exhibit_id": row["exhibit_id"],
        "exhibit_ref": row["exhibit_ref"],
        "text": row["text"],
        "locator": row["locator"],
    }


class LinkService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def links(self, principal: Principal, case_key: str) -> tuple[CaseView, list[Link]]:
        """The case, and the other cases (that the user may see) linked to it, best first."""
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            view = CaseView.of(case)
            principal.require(Permission.EXHIBIT_READ, session, case.id)
            others = {
                c
                for c in principal.visible_case_ids(session) - {case.id}
                if principal.has(Permission.EXHIBIT_READ, session, c)
            }
            links = self._links(session, case, others) if others else []
            decisions = self._decisions(session, case.id)
        for link in links:
            for item in link.evidence:
                item.decision = decisions.get((link.case_id, item.type, item.value, item.other_value))
        self.vault.consulted(
            principal,
            "links.view",
            case_id=view.id,
            details={"linked_cases": [link.case_id for link in links]},
        )
        return view, links

    def _links(self, session: Session, case: Case, others: set[str]) -> list[Link]:
        mine = _occurrences(session, {case.id})
        if not mine:
            return []
        exact = sorted({r["value"] for r in mine if r["type"] in EXACT})
        keys = sorted({r["key"] for r in mine if r["type"] == "person"})
        found: list[dict[str, Any]] = []
        if exact:
            found += _occurrences(
                session, others, " AND o.type <> 'person' AND o.value IN :values", values=exact
            )
        if keys:
            found += _occurrences(session, others, " AND o.type = 'person' AND o.key IN :keys", keys=keys)
        by_case: dict[str, dict[tuple[str, str, str], Evidence]] = {}
        for there in found:
            for here in mine:
                if here["type"] != there["type"] or here["sha256"] == there["sha256"]:
                    continue  # the same footage in two cases is a link of its own, below
                if here["type"] == "person":
                    if here["key"] != there["key"]:
                        continue
                    score = name_score(here["value"], there["value"])
                    if score < NAME_MATCH_THRESHOLD:
                        continue
                elif here["value"] == there["value"]:
                    score = EXACT[here["type"]]
                else:
                    continue
                key = (here["type"], here["value"], there["value"])
                evidence = by_case.setdefault(there["case_id"], {})
                if key not in evidence or evidence[key].score < score:
                    evidence[key] = Evidence(key[0], key[1], key[2], score, _place(here), _place(there))
        self._shared_content(session, case, others, by_case)
        titles = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(by_case)))}
        links = []
        for case_id, evidence in by_case.items():
            items = sorted(evidence.values(), key=lambda e: (-e.score, e.type, e.value))
            # Independent pieces of evidence make a link stronger: 1 - prod(1 - score).
            remaining = 1.0
            for item in items:
                remaining *= 1.0 - min(item.score, 0.99)
            other = titles[case_id]
            links.append(Link(case_id, other.crime_ref, other.title, round(1.0 - remaining, 3), items))
        return sorted(links, key=lambda link: (-link.score, link.case_ref))

    def _shared_content(self, session: Session, case: Case, others: set[str], by_case) -> None:
        rows = session.execute(
            text(
                "SELECT e2.case_id, m1.sha256, e1.id, e1.ref, e2.id, e2.ref FROM exhibits e1 "
                "JOIN media m1 ON m1.id = e1.media_id JOIN media m2 ON m2.sha256 = m1.sha256 "
                "JOIN exhibits e2 ON e2.media_id = m2.id "
                "WHERE e1.case_id = :case AND e2.case_id IN :others AND e2.status = 'active' "
                "AND e2.restricted = :false"
            ).bindparams(bindparam("others", expanding=True)),
            {"case": case.id, "others": sorted(others), "false": False},
        )
        for other_case, sha256, here_id, here_ref, there_id, there_ref in rows:
            by_case.setdefault(other_case, {})[("content", sha256, sha256)] = Evidence(
                "content",
                sha256,
                sha256,
                1.0,
                {"exhibit_id": here_id, "exhibit_ref": here_ref, "text": "identical content", "locator": {}},
                {
                    "exhibit_id": there_id,
                    "exhibit_ref": there_ref,
                    "text": "identical content",
                    "locator": {},
                },
            )

    @staticmethod
    def _decisions(session: Session, case_id: str) -> dict[tuple[str, str, str, str], str]:
        """Latest decision per (other case, type, value, other value), whichever side made it."""
        rows = session.scalars(
            select(LinkDecision)
            .where((LinkDecision.case_id == case_id) | (LinkDecision.other_case_id == case_id))
            .order_by(LinkDecision.decided_at, LinkDecision.id)
        )
        latest: dict[tuple[str, str, str, str], str] = {}
        for row in rows:
            if row.case_id == case_id:
                latest[(row.other_case_id, row.type, row.value, row.other_value)] = row.decision
            else:
                latest[(row.case_id, row.type, row.other_value, row.value)] = row.decision
        return latest

    def decide(
        self,
        principal: Principal,
        case_key: str,
        other_case_key: str,
        *,
        type: str,
        value: str,
        other_value: str | None = None,
        decision: str,
        note: str | None = None,
    ) -> None:
        if decision not in DECISIONS:
            raise InvalidInput("a link is confirmed or rejected")
        if type not in (*LINKED_TYPES, "content"):
            raise InvalidInput(f"link type is one of {', '.join((*LINKED_TYPES, 'content'))}")
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.LINK_DECIDE, session, case.id)
            other = self.vault.evidence.find_case(session, principal, other_case_key)
            principal.require(Permission.EXHIBIT_READ, session, other.id)
            case_id, other_id = case.id, other.id
        if case_id == other_id:
            raise InvalidInput("a link joins two different cases")
        other_value = other_value or value

        def work(ctx: WriteContext) -> None:
            ctx.session.add(
                LinkDecision(
                    id=new_id(),
                    case_id=case_id,
                    other_case_id=other_id,
                    type=type,
                    value=value[:300],
                    other_value=other_value[:300],
                    decision=decision,
                    note=note,
                    decided_by=principal.user_id,
                    decided_at=self.vault.now(),
                )
            )
            self.vault.record(
                ctx,
                principal,
                f"link.{decision[:-2]}",
                EventClass.CONTINUITY,
                case_id=case_id,
                details={
                    "other_case": other_id,
                    "type": type,
                    "value": value,
                    "other_value": other_value,
                    "note": note,
                },
            )

        self.vault.write(work)
