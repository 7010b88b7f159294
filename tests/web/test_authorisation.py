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
from exhibits.uploads.tus import encode_metadata
from exhibits.web.app import api_routes
from tests.conftest import ADMIN_PASSWORD

ANON = "anonymous"
ROLES = ["officer", "investigator", "supervisor", "admin", "auditor", "prosecutor", "defence"]
ASSIGNED = ["oic", "disclosure", "case_investigator", "viewer"]
EXCLUDED = "excluded"  # assigned as investigator, then excluded from the case
IDENTITIES = [ANON, *ROLES, *ASSIGNED, EXCLUDED]

ALL = frozenset(IDENTITIES)
SIGNED_IN = ALL - {ANON}
POLICE = frozenset({"officer", "investigator", "supervisor", "admin", *ASSIGNED, EXCLUDED})
READERS = frozenset(ASSIGNED)
WORKERS = frozenset({"oic", "disclosure", "case_investigator"})
OIC = frozenset({"oic"})
RESTRICTERS = frozenset({"oic", "disclosure"})
ADMINS = frozenset({"admin"})
AUDITORS = frozenset({"auditor"})


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
    *__import__("tests.portal.authorisation", fromlist=["rows"]).rows(Row, V1),
    # last: it revokes every token of the caller, the walk's own included
    Row("POST", f"{V1}/auth/signout-everywhere", SIGNED_IN, fresh_token),
]


@pytest.fixture
def world(vault, people, admin) -> World:
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
    tokens = {}
    for identity, principal in principals.items():
        _, secret = vault.access.tokens.create(principal, name="walk", expires_in=timedelta(days=1))
        tokens[identity] = {"Authorization": f"Bearer {secret}"}
    for principal in principals.values():
        principal.forget_assignments()
    assert first.exhibit_id and second.exhibit_id
    return World(vault, principals, tokens, case.id, first.exhibit_id, second.exhibit_id, trail[0].seq)


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
