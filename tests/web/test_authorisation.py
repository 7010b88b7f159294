"""Who may call what: a literal allow/deny table, walked over every route with every role and
assignment.

The table is written out here by hand, not derived from ``access/permissions.py``: it is the
specification the code must meet. A route that is not in the table fails the suite, and so
does any cell where the API disagrees. Every allowed read leaves exactly one consultation
event; a refusal leaves none (only an ``access.refused`` record).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pyotp
import pytest

from exhibits.access.audit import AuditQuery
from exhibits.evidence.service import IngestRequest
from exhibits.redaction.domain import ItemKind
from exhibits.uploads.tus import encode_metadata
from exhibits.web.app import api_routes
from tests.conftest import ADMIN_PASSWORD
from tests.portal import authorisation as portal_authorisation
from tests.web.identities import ALL, ANON, ASSIGNED, EXCLUDED, IDENTITIES, ROLES, SIGNED_IN, WORKERS

POLICE = frozenset({"officer", "investigator", "supervisor", "admin", *ASSIGNED, EXCLUDED})
READERS = frozenset(ASSIGNED)
OIC = frozenset({"oic"})
RESTRICTERS = frozenset({"oic", "disclosure"})
ADMINS = frozenset({"admin"})
AUDITORS = frozenset({"auditor"})
PARTNERS = frozenset({"prosecutor", "defence"})  # each holds an active share of the shared case
SUPERVISORS = frozenset({"supervisor"})
PROSECUTORS = frozenset({"prosecutor"})


@dataclass
class World:
    vault: Any
    people: dict[str, Any]  # identity -> principal
    tokens: dict[str, dict[str, str]]
    case_id: str
    exhibit_id: str
    restrictable_id: str
    case_event_seq: int
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    # a second case, assigned like the first and shared with both partners (the case-file rows)
    shared_case_id: str = ""
    shared_exhibit_id: str = ""
    shared_sha256: str = ""
    video_id: str = ""  # a real video in the shared case, with a transcript and entities
    statement_id: str = ""  # a signed MG11 in the shared case, shared with both partners
    image_id: str = ""  # a real image in the shared case
    redaction_set_id: str = ""  # a redaction set of that image, with one region

    def n(self) -> int:
        return next(self.counter)


Build = Callable[[World, str], dict[str, Any]]


def nothing(world: World, who: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: frozenset[str]
    build: Build = nothing
    consults: int = 0  # consultation events an allowed call leaves
    same_for_all: bool = False  # public, and its answer does not depend on who asks


# --- request builders: each makes what an allowed call needs, fresh every time ------------------


def new_case(world: World, who: str) -> dict[str, Any]:
    return {"json": {"crime_ref": f"42/{world.n()}/26", "title": "Theft of a bicycle"}}


def assignment_to_remove(world: World, who: str) -> dict[str, Any]:
    collar = f"A{world.n()}"
    world.vault.users.create_user(world.people["admin"], collar=collar, name="Ann Other", roles=["officer"])
    world.vault.users.assign(world.people["oic"], world.case_id, collar, "viewer")
    rows = world.vault.access.need_to_know.assignments(world.people["oic"], world.case_id)
    return {"assignment_id": next(a.id for a in rows if a.person.collar == collar)}


def person_to_exclude(world: World, who: str) -> dict[str, Any]:
    collar = f"X{world.n()}"
    world.vault.users.create_user(world.people["admin"], collar=collar, name="Ex Cluded", roles=["officer"])
    return {"json": {"collar": collar, "reason": "Subject of a professional standards investigation"}}


def exclusion_to_lift(world: World, who: str) -> dict[str, Any]:
    body = person_to_exclude(world, who)["json"]
    view = world.vault.access.need_to_know.exclude(
        world.people["oic"], world.case_id, body["collar"], body["reason"]
    )
    return {"exclusion_id": view.id}


def upload_body(world: World, who: str) -> dict[str, Any]:
    return {
        "params": {"producer": "PC 1234 Jane Smith", "filename": f"note-{world.n()}.txt"},
        "content": f"pocket notebook entry {world.n()}".encode(),
        "headers": {"Content-Type": "application/octet-stream"},
    }


def justification(world: World, who: str) -> dict[str, Any]:
    return {"json": {"reason": "Investigation of this case"}}


def grant_link(world: World, who: str) -> dict[str, Any]:
    grant = world.vault.access.grants.grant(world.people["oic"], world.exhibit_id, reason="Disclosure review")
    return {"secret": grant.secret, "auth": False}


def restriction(world: World, who: str) -> dict[str, Any]:
    collars = [world.people[i].collar for i in (*ASSIGNED, EXCLUDED)]
    return {"json": {"people": collars, "reason": "MG6D: informant material"}}


def own_token(world: World, who: str) -> dict[str, Any]:
    if who == ANON:
        view, _ = world.vault.access.tokens.create(world.people["officer"], name="other")
    else:
        view, _ = world.vault.access.tokens.create(world.people[who], name="spare")
    return {"token_id": view.id}


def fresh_token(world: World, who: str) -> dict[str, Any]:
    """For sign-out-everywhere, which revokes every token of the caller."""
    if who == ANON:
        return {}
    _, secret = world.vault.access.tokens.create(
        world.people[who], name="spare", expires_in=timedelta(hours=1)
    )
    return {"auth_header": {"Authorization": f"Bearer {secret}"}}


def new_user(world: World, who: str) -> dict[str, Any]:
    return {"json": {"collar": f"U{world.n()}", "name": "New Starter", "roles": ["officer"]}}


def spare_user(world: World, who: str) -> dict[str, Any]:
    collar = f"S{world.n()}"
    world.vault.users.create_user(
        world.people["admin"], collar=collar, name="Spare Person", roles=["officer"]
    )
    return {"collar": collar, "json": {"name": "Spare Person Renamed"}}


def login(world: World, who: str) -> dict[str, Any]:
    return {"json": {"collar": world.people["officer"].collar, "password": ADMIN_PASSWORD}, "auth": False}


def totp_code(world: World, who: str) -> dict[str, Any]:
    if who == ANON:
        return {"json": {"code": "123456"}}
    secret, _ = world.vault.access.signin.totp_enrol(world.people[who])
    return {"json": {"code": pyotp.TOTP(secret).now()}}


def code_only(world: World, who: str) -> dict[str, Any]:
    return {"json": {"code": "123456"}}


def tus_create(world: World, who: str) -> dict[str, Any]:
    data = b"tus upload"
    metadata = {"filename": "clip.bin", "case": world.case_id, "producer": "PC 1234 Jane Smith"}
    return {
        "headers": {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": encode_metadata(metadata),
        }
    }


def own_upload(world: World, who: str) -> dict[str, Any]:
    """An upload the caller owns when they may upload at all; else someone else's."""
    owner = world.people.get(who) if who in POLICE else world.people["oic"]
    metadata = {"filename": "clip.bin", "producer": "PC 1234 Jane Smith"}
    if who in WORKERS:
        metadata["case"] = world.case_id
    view = world.vault.uploads.create(owner, 4, metadata)
    return {"upload_id": view.id, "headers": {"Tus-Resumable": "1.0.0"}}


def own_upload_patch(world: World, who: str) -> dict[str, Any]:
    built = own_upload(world, who)
    built["headers"].update({"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    built["content"] = b"ab"
    return built


def event_proof(world: World, who: str) -> dict[str, Any]:
    return {"seq": world.case_event_seq}


def consistency(world: World, who: str) -> dict[str, Any]:
    return {"params": {"old_size": 1}}


def oidc_callback(world: World, who: str) -> dict[str, Any]:
    return {"params": {"code": "x", "state": "y"}}


# --- case file, analysis and processing builders (on the shared case) --------------------------

STATEMENT = {
    "statement_of": "Alice Witness",
    "statement_date": "2026-11-21",
    "body": "At about 23:05 I saw a man force the door of the Post Office.",
}


def shared(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id}


def new_statement(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "json": {"form": "MG11", "data": STATEMENT}}


def statement(world: World, who: str) -> dict[str, Any]:
    return {"record": world.statement_id}


def draft(world: World, who: str) -> dict[str, Any]:
    view = world.vault.casefile.records.create(world.people["oic"], world.shared_case_id, "MG11", STATEMENT)
    return {"record": view.id, "json": {"data": {**STATEMENT, "body": "Corrected: the back door."}}}


def draft_to_sign(world: World, who: str) -> dict[str, Any]:
    return {**draft(world, who), "json": {"signed_by": "Alice Witness"}}


def signed(world: World, who: str) -> dict[str, Any]:
    built = draft(world, who)
    world.vault.casefile.records.sign(world.people["oic"], built["record"], signed_by="Alice Witness")
    return built


def mg5_to_sign_off(world: World, who: str) -> dict[str, Any]:
    """An MG5 on a case of its own, which the supervisor can see (sign-off needs sight of it)."""
    oic = world.people["oic"]
    case = world.vault.evidence.create_case(oic, f"42/{5000 + world.n()}/26", "Criminal damage")
    world.vault.users.assign(oic, case.id, world.people["supervisor"].collar, "viewer")
    world.people["supervisor"].forget_assignments()
    data = {"anticipated_plea": "GAP", "headline": "Suspect caught on CCTV"}
    view = world.vault.casefile.records.create(oic, case.id, "MG5", data)
    return {"record": view.id, "json": {"note": "Checked"}}


def mg12(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "form": "MG12"}


def new_person(world: World, who: str) -> dict[str, Any]:
    return {
        "case": world.shared_case_id,
        "json": {"role": "witness", "given_names": "Alice", "surname": "Witness"},
    }


def unused_item(world: World, who: str) -> dict[str, Any]:
    body = {"description": f"Officer's notebook {world.n()}", "location": "Property store"}
    return {"case": world.shared_case_id, "json": body}


def unused_to_decide(world: World, who: str) -> dict[str, Any]:
    item = world.vault.casefile.disclosure.add_item(
        world.people["oic"], world.shared_case_id, schedule="MG6C",
        description=f"House-to-house notes {world.n()}", location="Property store",
    )  # fmt: skip
    return {"case": world.shared_case_id, "item_no": item.item_no, "json": {"decision": "D"}}


def new_share(world: World, who: str) -> dict[str, Any]:
    body = {
        "partner": world.people["prosecutor"].collar,
        "records": [world.statement_id],
        "expires_in_days": 7,
    }
    return {"case": world.shared_case_id, "json": body}


def share_to_revoke(world: World, who: str) -> dict[str, Any]:
    view = world.vault.casefile.sharing.create(
        world.people["oic"],
        world.shared_case_id,
        world.people["prosecutor"].collar,
        records=[world.statement_id],
    )
    return {"share": view.id, "json": {"reason": "Superseded"}}


def shared_content(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "item": world.shared_sha256}


def outcome(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "json": {"outcome": "convicted", "outcome_date": "2026-10-01"}}


def case_hold(world: World, who: str) -> dict[str, Any]:
    return {"json": {"kind": "civil", "reason": "Civil claim notified", "case": world.shared_case_id}}


def hold_to_lift(world: World, who: str) -> dict[str, Any]:
    hold = world.vault.casefile.retention.place_hold(
        world.people["oic"], "civil", "Civil claim notified", case_key=world.shared_case_id
    )
    return {"hold": hold, "json": {"reason": "Claim withdrawn"}}


def retain(world: World, who: str) -> dict[str, Any]:
    body = {"subject": "exhibit", "subject_id": world.shared_exhibit_id, "decision": "retain",
            "reason": "Appeal possible", "retain_until": "2030-01-01"}  # fmt: skip
    return {"json": body}


def disposal(world: World, who: str) -> dict[str, Any]:
    """Unassigned footage a supervisor decided to dispose of."""
    request = IngestRequest(source="bwv", device_id="BWV-1", incident_ref=f"0{world.n()}")
    clip = world.vault.evidence.ingest_stream(
        world.people["officer"], io.BytesIO(f"street footage {world.n()}".encode()), "clip.mp4", request
    )
    world.vault.casefile.retention.decide(
        world.people["supervisor"], "media", clip.media_id, "dispose", "No evidential value"
    )
    body = {"subject": "media", "subject_id": clip.media_id, "reason": "No evidential value",
            "authority": "Force policy: unassigned footage 31 days"}  # fmt: skip
    return {"json": body}


def bundle(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "json": {"recipient": "cps"}}


def search_query(world: World, who: str) -> dict[str, Any]:
    return {"params": {"q": "bicycle", "mode": "keyword"}}


def link_decision(world: World, who: str) -> dict[str, Any]:
    body = {"other_case": world.case_id, "type": "vrm", "value": "AB12CDE", "decision": "rejected"}
    return {"case": world.shared_case_id, "json": body}


def transcript(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "exhibit": world.video_id, "fmt": "vtt", "kind": "transcript"}


def transcript_fix(world: World, who: str) -> dict[str, Any]:
    return {
        **transcript(world, who),
        "json": {"edits": {"0": "the blue car drove off"}, "reason": "Misheard"},
    }


def entities_fix(world: World, who: str) -> dict[str, Any]:
    body = {"add": [{"type": "vrm", "value": "AB12CDE"}], "reason": "Plate read from the footage"}
    return {**transcript(world, who), "json": body}


def still(world: World, who: str) -> dict[str, Any]:
    return {"case_id": world.shared_case_id, "exhibit_id": world.video_id, "json": {"start": 0.5}}


REGION = {
    "kind": ItemKind.REGION,
    "geometry": {"shape": "box", "box": [0.1, 0.1, 0.3, 0.3]},
    "reason": "face",
}


def redaction_set(world: World, who: str) -> dict[str, Any]:
    return {"set_id": world.redaction_set_id}


def new_redaction_set(world: World, who: str) -> dict[str, Any]:
    return {"case": world.shared_case_id, "exhibit_id": world.image_id, "json": {"purpose": "Defence"}}


def new_region(world: World, who: str) -> dict[str, Any]:
    return {"set_id": world.redaction_set_id, "json": {**REGION, "kind": "region"}}


def region_added(world: World, who: str) -> dict[str, Any]:
    redaction = world.vault.redaction
    item = redaction.add(
        world.people["oic"], world.redaction_set_id, REGION["kind"], REGION["geometry"], "face"
    )
    return {"set_id": world.redaction_set_id, "number": item.number}


def region_to_adjust(world: World, who: str) -> dict[str, Any]:
    built = region_added(world, who)
    return {**built, "json": {"geometry": {"shape": "ellipse", "box": [0.2, 0.2, 0.3, 0.3]}}}


def region_to_review(world: World, who: str) -> dict[str, Any]:
    built = region_added(world, who)
    return {"set_id": built["set_id"], "json": {"numbers": [built["number"]], "state": "rejected"}}


def not_redacted(world: World, who: str) -> dict[str, Any]:
    note = "The suspect's face: evidentially needed"
    return {"set_id": world.redaction_set_id, "json": {"reason": "face", "note": note}}


def set_to_render(world: World, who: str) -> dict[str, Any]:
    redaction, oic = world.vault.redaction, world.people["oic"]
    view = redaction.create_set(oic, world.shared_case_id, world.image_id, "CPS charging file")
    redaction.add(oic, view.id, REGION["kind"], REGION["geometry"], "face")
    return {"set_id": view.id}


V1 = "/api/v1"
TABLE: list[Row] = [
    # system
    Row("GET", "/api/health", ALL),
    Row("GET", "/api/ready", ALL),
    Row("GET", "/api/metrics", ALL),
    Row("GET", "/api/openapi.json", ALL),
    Row("GET", "/api/docs", ALL),
    Row("GET", "/api/docs/assets/{name}", ALL, lambda w, who: {"name": "swagger-ui.css"}),
    # signing in
    Row("POST", f"{V1}/auth/login", ALL, login),
    Row("GET", f"{V1}/auth/session", SIGNED_IN),
    Row("POST", f"{V1}/auth/logout", SIGNED_IN),
    Row("POST", f"{V1}/auth/totp", SIGNED_IN),
    Row("POST", f"{V1}/auth/totp/confirm", SIGNED_IN, totp_code),
    Row("POST", f"{V1}/auth/totp/verify", SIGNED_IN, code_only),
    Row("GET", f"{V1}/auth/oidc/login", ALL, same_for_all=True),
    Row("GET", f"{V1}/auth/oidc/callback", ALL, oidc_callback, same_for_all=True),
    # tokens
    Row("GET", f"{V1}/tokens", SIGNED_IN),
    Row("POST", f"{V1}/tokens", SIGNED_IN, lambda w, who: {"json": {"name": "laptop"}}),
    Row("DELETE", f"{V1}/tokens/{{token_id}}", SIGNED_IN, own_token),
    # accounts
    Row("GET", f"{V1}/users", ADMINS, consults=1),
    Row("POST", f"{V1}/users", ADMINS, new_user),
    Row("GET", f"{V1}/users/{{collar}}", ADMINS, spare_user, consults=1),
    Row("PATCH", f"{V1}/users/{{collar}}", ADMINS, spare_user),
    Row("POST", f"{V1}/users/{{collar}}/signout-everywhere", ADMINS, spare_user),
    Row("DELETE", f"{V1}/users/{{collar}}/totp", ADMINS, spare_user),
    # cases
    Row("GET", f"{V1}/cases", SIGNED_IN, consults=1),
    Row("POST", f"{V1}/cases", POLICE, new_case),
    Row("GET", f"{V1}/cases/{{case_id}}", READERS, consults=1),
    Row("PATCH", f"{V1}/cases/{{case_id}}", OIC, lambda w, who: {"json": {"status": "open"}}),
    Row("GET", f"{V1}/cases/{{case_id}}/assignments", READERS, consults=1),
    Row(
        "POST",
        f"{V1}/cases/{{case_id}}/assignments",
        OIC,
        lambda w, who: {"json": {"collar": "9001", "role": "viewer"}},
    ),
    Row("DELETE", f"{V1}/cases/{{case_id}}/assignments/{{assignment_id}}", OIC, assignment_to_remove),
    Row("GET", f"{V1}/cases/{{case_id}}/exclusions", OIC, consults=1),
    Row("POST", f"{V1}/cases/{{case_id}}/exclusions", OIC, person_to_exclude),
    Row("DELETE", f"{V1}/cases/{{case_id}}/exclusions/{{exclusion_id}}", OIC, exclusion_to_lift),
    # exhibits and content
    Row("GET", f"{V1}/cases/{{case_id}}/exhibits", READERS, consults=1),
    Row("POST", f"{V1}/cases/{{case_id}}/exhibits", WORKERS, upload_body),
    Row("GET", f"{V1}/exhibits/{{exhibit_id}}", READERS, consults=1),
    Row("POST", f"{V1}/exhibits/{{exhibit_id}}/access", READERS, justification, consults=1),
    Row("GET", f"{V1}/content/{{secret}}", ALL, grant_link),
    Row("HEAD", f"{V1}/content/{{secret}}", ALL, grant_link),
    Row("GET", f"{V1}/exhibits/{{restrictable_id}}/restriction", RESTRICTERS, consults=1),
    Row("PUT", f"{V1}/exhibits/{{restrictable_id}}/restriction", RESTRICTERS, restriction, consults=1),
    Row("DELETE", f"{V1}/exhibits/{{restrictable_id}}/restriction", RESTRICTERS),
    # custody
    Row("GET", f"{V1}/exhibits/{{exhibit_id}}/custody", READERS, consults=1),
    Row("GET", f"{V1}/cases/{{case_id}}/custody", READERS, consults=1),
    Row("GET", f"{V1}/custody/checkpoint", SIGNED_IN),
    Row("GET", f"{V1}/custody/events/{{seq}}/proof", READERS | AUDITORS, event_proof, consults=1),
    Row("GET", f"{V1}/custody/consistency", SIGNED_IN, consistency),
    Row("POST", f"{V1}/exhibits/{{exhibit_id}}/verify", READERS, consults=1),
    # resumable uploads
    Row("OPTIONS", f"{V1}/uploads", ALL),
    Row("POST", f"{V1}/uploads", WORKERS, tus_create),
    Row("HEAD", f"{V1}/uploads/{{upload_id}}", POLICE, own_upload),
    Row("GET", f"{V1}/uploads/{{upload_id}}", POLICE, own_upload),
    Row("PATCH", f"{V1}/uploads/{{upload_id}}", POLICE, own_upload_patch),
    Row("DELETE", f"{V1}/uploads/{{upload_id}}", POLICE, own_upload),
    # audit
    Row("GET", f"{V1}/audit/events", AUDITORS, consults=1),
    Row("GET", f"{V1}/audit/export", AUDITORS, consults=1),
    # public evidence portal: rows and request builders in tests/portal/authorisation.py
    *portal_authorisation.rows(Row, V1),
    # case file (on the shared case): records, forms and people
    Row("GET", f"{V1}/cases/{{case}}/casefile/records", READERS | PARTNERS, shared, consults=1),
    Row("POST", f"{V1}/cases/{{case}}/casefile/records", WORKERS, new_statement),
    Row("GET", f"{V1}/casefile/records/{{record}}", READERS | PARTNERS, statement, consults=1),
    Row("GET", f"{V1}/casefile/records/{{record}}/versions", READERS | PARTNERS, statement, consults=1),
    Row("PUT", f"{V1}/casefile/records/{{record}}", WORKERS, draft),
    Row("POST", f"{V1}/casefile/records/{{record}}/signature", WORKERS, draft_to_sign),
    Row("POST", f"{V1}/casefile/records/{{record}}/amendment", WORKERS, signed),
    Row("POST", f"{V1}/casefile/records/{{record}}/sign-off", SUPERVISORS, mg5_to_sign_off),
    Row("GET", f"{V1}/cases/{{case}}/casefile/forms/{{form}}.pdf", READERS | PARTNERS, mg12, consults=1),
    Row("GET", f"{V1}/cases/{{case}}/casefile/forms/{{form}}.json", READERS | PARTNERS, mg12, consults=1),
    Row("GET", f"{V1}/cases/{{case}}/people", READERS, shared, consults=1),
    Row("POST", f"{V1}/cases/{{case}}/people", WORKERS, new_person),
    # disclosure and sharing
    Row("GET", f"{V1}/cases/{{case}}/unused", READERS | PARTNERS, shared, consults=1),
    Row("POST", f"{V1}/cases/{{case}}/unused", RESTRICTERS, unused_item),
    Row("POST", f"{V1}/cases/{{case}}/unused/{{item_no}}/decisions", PROSECUTORS, unused_to_decide),
    Row("GET", f"{V1}/cases/{{case}}/shares", RESTRICTERS, shared, consults=1),
    Row("POST", f"{V1}/cases/{{case}}/shares", RESTRICTERS, new_share),
    Row("POST", f"{V1}/shares/{{share}}/revocation", RESTRICTERS, share_to_revoke),
    Row("GET", f"{V1}/shared/cases", SIGNED_IN, consults=1),  # partners see their cases; others none
    Row("GET", f"{V1}/shared/cases/{{case}}/items", PARTNERS, shared, consults=1),
    Row("GET", f"{V1}/shared/cases/{{case}}/content/{{item}}", PARTNERS, shared_content, consults=1),
    # retention and bundles
    Row("GET", f"{V1}/retention/due", SUPERVISORS, consults=1),
    Row("PUT", f"{V1}/cases/{{case}}/outcome", OIC, outcome),
    Row("POST", f"{V1}/retention/holds", OIC, case_hold),
    Row("POST", f"{V1}/retention/holds/{{hold}}/lift", SUPERVISORS, hold_to_lift),
    Row("POST", f"{V1}/retention/decisions", SUPERVISORS, retain),
    Row("POST", f"{V1}/retention/disposals", SUPERVISORS, disposal),
    Row("POST", f"{V1}/cases/{{case}}/bundles", RESTRICTERS, bundle),
    # search, links, transcripts and entities
    Row("GET", f"{V1}/search", SIGNED_IN, search_query, consults=1),
    Row("GET", f"{V1}/cases/{{case}}/links", READERS, shared, consults=1),
    Row("POST", f"{V1}/cases/{{case}}/links/decisions", WORKERS, link_decision),
    Row(
        "GET", f"{V1}/cases/{{case}}/exhibits/{{exhibit}}/transcript.{{fmt}}", READERS, transcript, consults=1
    ),
    Row("GET", f"{V1}/cases/{{case}}/exhibits/{{exhibit}}/{{kind}}", READERS, transcript, consults=1),
    Row("POST", f"{V1}/cases/{{case}}/exhibits/{{exhibit}}/transcript/corrections", WORKERS, transcript_fix),
    Row("POST", f"{V1}/cases/{{case}}/exhibits/{{exhibit}}/entities/corrections", WORKERS, entities_fix),
    # processing
    Row("GET", f"{V1}/exhibits/{{exhibit_id}}/processing", READERS, consults=1),
    Row("POST", f"{V1}/cases/{{case_id}}/exhibits/{{exhibit_id}}/cuts", WORKERS, still),
    # redaction review (on an image of the shared case)
    Row("GET", f"{V1}/cases/{{case}}/redaction-sets", READERS, shared, consults=1),
    Row(
        "POST",
        f"{V1}/cases/{{case}}/exhibits/{{exhibit_id}}/redaction-sets",
        WORKERS,
        new_redaction_set,
        consults=1,  # the answer shows the new set
    ),
    Row("GET", f"{V1}/redaction-sets/{{set_id}}", READERS, redaction_set, consults=1),
    Row("POST", f"{V1}/redaction-sets/{{set_id}}/items", WORKERS, new_region),
    Row("PATCH", f"{V1}/redaction-sets/{{set_id}}/items/{{number}}", WORKERS, region_to_adjust),
    Row("POST", f"{V1}/redaction-sets/{{set_id}}/review", WORKERS, region_to_review, consults=1),
    Row("POST", f"{V1}/redaction-sets/{{set_id}}/not-redacted", WORKERS, not_redacted),
    Row("POST", f"{V1}/redaction-sets/{{set_id}}/renders", WORKERS, set_to_render),
    # last: it revokes every token of the caller, the walk's own included
    Row("POST", f"{V1}/auth/signout-everywhere", SIGNED_IN, fresh_token),
]


@pytest.fixture
def world(vault, people, admin, tmp_path) -> World:
    principals: dict[str, Any] = {"admin": admin}
    users = vault.users
    for n, role in enumerate(r for r in ROLES if r != "admin"):
        users.create_user(
            admin, collar=f"R{n}", name=f"Role {role.title()}", roles=[role], password=ADMIN_PASSWORD
        )
        principals[role] = users.principal_for(f"R{n}", via="api")
    principals["officer"] = users.principal_for("1234", via="api")
    for n, identity in enumerate([*ASSIGNED, EXCLUDED]):
        users.create_user(admin, collar=f"C{n}", name=f"Case {identity.title()}", roles=["officer"])
        principals[identity] = users.principal_for(f"C{n}", via="api")
    case = vault.evidence.create_case(principals["oic"], "42/1000/26", "Robbery at the Post Office")
    for identity, part in [("disclosure", "disclosure_officer"), ("case_investigator", "investigator"),
                           ("viewer", "viewer"), (EXCLUDED, "investigator")]:  # fmt: skip
        users.assign(principals["oic"], case.id, principals[identity].collar, part)
    request = IngestRequest(case=case.id, producer="PC 1234 Jane Smith", source="cctv")
    first = vault.evidence.ingest_stream(principals["oic"], io.BytesIO(b"cctv frame"), "frame.jpg", request)
    second = vault.evidence.ingest_stream(principals["oic"], io.BytesIO(b"informant log"), "log.txt", request)
    vault.access.need_to_know.exclude(
        principals["oic"], case.id, principals[EXCLUDED].collar, "Under investigation"
    )
    trail = vault.custody.case_trail(principals["oic"], case.id)
    extra = _shared_case(vault, principals, tmp_path)
    tokens = {}
    for identity, principal in principals.items():
        _, secret = vault.access.tokens.create(principal, name="walk", expires_in=timedelta(days=1))
        tokens[identity] = {"Authorization": f"Bearer {secret}"}
    for principal in principals.values():
        principal.forget_assignments()
    assert first.exhibit_id and second.exhibit_id
    return World(
        vault, principals, tokens, case.id, first.exhibit_id, second.exhibit_id, trail[0].seq, **extra
    )


def _shared_case(vault, principals: dict[str, Any], tmp_path) -> dict[str, str]:
    """A second case with the same assignments and exclusion, a real video with a transcript,
    a signed statement, and an active share of it to each partner."""
    from PIL import Image

    from exhibits.analysis.entities.processor import EntityProcessor
    from exhibits.analysis.transcription import TranscriptionProcessor
    from tests.processing.conftest import make_video
    from tests.search.conftest import record, transcript

    oic, users = principals["oic"], vault.users
    case = vault.evidence.create_case(oic, "42/1001/26", "Burglary at the Post Office")
    for identity, part in [("disclosure", "disclosure_officer"), ("case_investigator", "investigator"),
                           ("viewer", "viewer"), (EXCLUDED, "investigator")]:  # fmt: skip
        users.assign(oic, case.id, principals[identity].collar, part)
    vault.access.need_to_know.exclude(oic, case.id, principals[EXCLUDED].collar, "Under investigation")
    request = IngestRequest(case=case.id, producer="PC 1234 Jane Smith", source="cctv")
    frame = vault.evidence.ingest_stream(oic, io.BytesIO(b"shared cctv frame"), "frame.jpg", request)
    video_path = make_video(tmp_path / "clip.mp4", seconds=1, size="64x48", audio=False)
    with video_path.open("rb") as handle:
        video = vault.evidence.ingest_stream(oic, handle, "clip.mp4", request)
    record(vault, video.sha256, TranscriptionProcessor, transcript((0.0, 1.0, "the blue car drove of")))
    record(vault, video.sha256, EntityProcessor, {"entities": []})
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    image.save(tmp_path / "door.png")
    with (tmp_path / "door.png").open("rb") as handle:
        picture = vault.evidence.ingest_stream(oic, handle, "door.png", request)
    assert picture.exhibit_id
    redaction_set = vault.redaction.create_set(oic, case.id, picture.exhibit_id, "CPS charging file")
    vault.redaction.add(oic, redaction_set.id, REGION["kind"], REGION["geometry"], "face")
    records = vault.casefile.records
    made = records.create(oic, case.id, "MG11", STATEMENT)
    records.sign(oic, made.id, signed_by="Alice Witness")
    for partner in ("prosecutor", "defence"):
        vault.casefile.sharing.create(
            oic,
            case.id,
            principals[partner].collar,
            exhibits=[frame.ref],
            records=[made.id],
            forms=["MG12", "MG6C"],
        )
    assert frame.exhibit_id and video.exhibit_id
    return {
        "shared_case_id": case.id,
        "shared_exhibit_id": frame.exhibit_id,
        "shared_sha256": frame.sha256,
        "video_id": video.exhibit_id,
        "statement_id": made.id,
        "image_id": picture.exhibit_id,
        "redaction_set_id": redaction_set.id,
    }


def test_every_route_has_a_row(app):
    declared = {(method, path) for path, methods, _ in api_routes(app) for method in methods}
    tabled = {(row.method, row.path.replace("{restrictable_id}", "{exhibit_id}")) for row in TABLE}
    assert declared - tabled == set(), "routes without a row in the authorisation table"
    assert tabled - declared == set(), "rows for routes that do not exist"


def test_the_table_is_the_truth(client, world, event_count):
    mismatches = []
    for row in TABLE:
        for who in IDENTITIES:
            built = row.build(world, who)
            path_values = {
                "case_id": world.case_id, "exhibit_id": world.exhibit_id,
                "restrictable_id": world.restrictable_id,
                **{k: v for k, v in built.items() if isinstance(v, (str, int)) and not isinstance(v, bool)},
            }  # fmt: skip
            url = row.path.format(**{k: path_values.get(k, "") for k in _fields(row.path)})
            headers = dict(built.get("headers", {}))
            if who != ANON and built.get("auth", True):
                headers.update(built.get("auth_header") or world.tokens[who])
            before = event_count(event_class="consultation") - event_count(action="access.refused")
            response = client.request(
                row.method, url, params=built.get("params"), json=built.get("json"),
                content=built.get("content"), headers=headers, follow_redirects=False,
            )  # fmt: skip
            client.cookies.clear()  # the sign-in row sets a cookie: no identity may leak into the next
            consulted = (
                event_count(event_class="consultation") - event_count(action="access.refused") - before
            )
            allowed = who in row.allowed
            if row.same_for_all:
                verdict = "allow" if allowed else "deny"
            else:
                verdict = "allow" if response.status_code < 400 else "deny"
                if verdict == "deny" and response.status_code not in (401, 403, 404):
                    verdict = f"error {response.status_code}: {response.text[:200]}"
            expected = "allow" if allowed else "deny"
            if verdict != expected:
                mismatches.append(f"{row.method} {row.path} as {who}: expected {expected}, got {verdict}")
            elif allowed and consulted != row.consults:
                mismatches.append(f"{row.method} {row.path} as {who}: {consulted} consultation events")
            elif not allowed and consulted:
                mismatches.append(f"{row.method} {row.path} as {who}: refused but logged a consultation")
    assert mismatches == [], "\n".join(mismatches)


def _fields(path: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(path) if name]


def test_anonymous_callers_are_told_to_sign_in(client, world):
    response = client.get(f"/api/v1/cases/{world.case_id}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:exhibits:problem:unauthenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_refusal_is_recorded_with_the_person_and_the_case(client, world, event_count):
    before = event_count(action="access.refused")
    response = client.get(f"/api/v1/cases/{world.case_id}", headers=world.tokens[EXCLUDED])
    assert response.status_code == 404
    assert event_count(action="access.refused") == before + 1
    events, _ = world.vault.access.audit.search(world.people["auditor"], AuditQuery(action="access.refused"))
    last = events[-1]
    assert last["actor"]["collar"] == world.people[EXCLUDED].collar
    assert last["case"] == world.case_id
    assert last["details"]["permission"] == "case:read"


def test_an_undeclared_route_is_closed_to_everyone(vault, people, token_of):
    from fastapi import APIRouter
    from fastapi.testclient import TestClient

    from exhibits.hooks import hookimpl, plugin_manager
    from exhibits.web.app import create_app

    class Careless:
        @hookimpl
        def exhibits_api(self, app):
            router = APIRouter()

            @router.get("/api/v1/careless")
            def careless() -> dict[str, str]:
                return {"secret": "everything"}

            app.include_router(router)

    plugin = Careless()
    plugin_manager().register(plugin)
    try:
        app = create_app(vault)
    finally:
        plugin_manager().unregister(plugin)
    with TestClient(app) as client:
        for principal in (people.admin, people.officer, people.auditor):
            response = client.get("/api/v1/careless", headers=token_of(principal))
            assert response.status_code == 403
            assert "declares no permission" in response.json()["detail"]
