"""The portal's rows of the authorisation table (tests/web/test_authorisation.py), kept here so
that the table gains one self-contained line. Written out by hand like the rest of the table.

Each builder makes what an allowed call needs, fresh every time, and gives the portal a fresh
rate limiter: the walk measures who may call what, not how often one address may call."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from exhibits.portal.limits import RateLimiter
from exhibits.portal.plugin import portal
from exhibits.uploads.tus import encode_metadata
from tests.web.identities import ALL, ASSIGNED, EXCLUDED, WORKERS  # WORKERS: those who may accept

# portal:triage comes with police casework roles (officers, investigators, supervisors), not admin
TRIAGERS = frozenset({"officer", "investigator", "supervisor", *ASSIGNED, EXCLUDED})
MANAGERS = frozenset({"supervisor", "admin"})  # portal:manage: standing public pages
SUBMITTER = {"name": "Sam Driver", "email": "sam@example.org"}
ANSWERS = {
    "offence_date": "2026-11-01",
    "offence_time": "08:15",
    "location": "A470 northbound",
    "vrm": "AB12CDE",
    "account": "Overtook on a blind bend.",
}
DECLARATION = {"true_statement": True, "over_18": True, "signature": "Sam Driver"}
TUS = {"Tus-Resumable": "1.0.0"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _service(world):
    service = portal(world.vault)
    service.limiter = RateLimiter()
    return service


def _link(world) -> str:
    _, token, _ = _service(world).create_request(world.people["oic"], appeal="Footage of the A470 incident")
    return token


def _ready(world) -> str:
    """A link with details given and one photograph received."""
    service = _service(world)
    token = _link(world)
    service.save(token, SUBMITTER, ANSWERS)
    data = _png()
    view = service.create_file(token, len(data), "photo.png")
    service.append(token, view.id, 0, io.BytesIO(data))
    return token


def _submitted(world) -> str:
    service = _service(world)
    token = _ready(world)
    reference = service.submit(token, DECLARATION).reference
    return next(s.id for s in service.queue(world.people["oic"]) if s.reference == reference)


def new_request(world, who: str) -> dict[str, Any]:
    _service(world)
    return {"json": {"appeal": "Dashcam footage of the A470 incident", "form": "dashcam"}}


def page(world, who: str) -> dict[str, Any]:
    _service(world).set_page(world.people["admin"], "dashcam", form="dashcam", title=None, enabled=True)
    return {"slug": "dashcam", "json": {"form": "dashcam", "enabled": True}}


def code(world, who: str) -> dict[str, Any]:
    _, _, short = _service(world).create_request(world.people["oic"], appeal="Footage of the A470 incident")
    return {"json": {"code": short}}


def link(world, who: str) -> dict[str, Any]:
    return {"token": _link(world)}


def details(world, who: str) -> dict[str, Any]:
    return {"token": _link(world), "json": {"submitter": SUBMITTER, "answers": ANSWERS}}


def declaration(world, who: str) -> dict[str, Any]:
    return {"token": _ready(world), "json": DECLARATION}


def tus_create(world, who: str) -> dict[str, Any]:
    metadata = encode_metadata({"filename": "clip.mp4"})
    return {"token": _link(world), "headers": {**TUS, "Upload-Length": "100", "Upload-Metadata": metadata}}


def own_file(world, who: str) -> dict[str, Any]:
    token = _link(world)
    view = _service(world).create_file(token, 100, "clip.mp4")
    return {"token": token, "file_id": view.id, "headers": dict(TUS)}


def own_file_patch(world, who: str) -> dict[str, Any]:
    built = own_file(world, who)
    built["headers"].update({"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    built["content"] = _png()[:50]
    return built


def queue(world, who: str) -> dict[str, Any]:
    _service(world)
    return {}


def submitted(world, who: str) -> dict[str, Any]:
    return {"submission_id": _submitted(world)}


def received_file(world, who: str) -> dict[str, Any]:
    submission_id = _submitted(world)
    view = _service(world).get(world.people["oic"], submission_id)
    return {"submission_id": submission_id, "file_id": view.files[0].id}


def to_accept(world, who: str) -> dict[str, Any]:
    return {"submission_id": _submitted(world), "json": {"case": world.case_id}}


def to_reject(world, who: str) -> dict[str, Any]:
    return {"submission_id": _submitted(world), "json": {"reason": "Does not show the offence"}}


def rows(row, v1: str) -> list:
    """The portal's rows, built with the table's own Row class."""
    p = f"{v1}/portal"
    return [
        # officers
        row("POST", f"{p}/requests", TRIAGERS, new_request),
        row("PUT", f"{p}/pages/{{slug}}", MANAGERS, page),
        row("GET", f"{p}/submissions", TRIAGERS, queue, consults=1),
        row("GET", f"{p}/submissions/{{submission_id}}", TRIAGERS, submitted, consults=1),
        row(
            "GET", f"{p}/submissions/{{submission_id}}/files/{{file_id}}", TRIAGERS, received_file, consults=1
        ),
        row("POST", f"{p}/submissions/{{submission_id}}/accept", WORKERS, to_accept),
        row("POST", f"{p}/submissions/{{submission_id}}/reject", TRIAGERS, to_reject),
        # the public: their own token opens their own submission, whoever else they are
        row("GET", f"{p}/pages/{{slug}}", ALL, page),
        row("POST", f"{p}/pages/{{slug}}/submissions", ALL, page),
        row("POST", f"{p}/codes", ALL, code),
        row("GET", f"{p}/s/{{token}}", ALL, link),
        row("PUT", f"{p}/s/{{token}}", ALL, details),
        row("POST", f"{p}/s/{{token}}/submit", ALL, declaration),
        row("POST", f"{p}/s/{{token}}/files", ALL, tus_create),
        row("HEAD", f"{p}/s/{{token}}/files/{{file_id}}", ALL, own_file),
        row("PATCH", f"{p}/s/{{token}}/files/{{file_id}}", ALL, own_file_patch),
        row("DELETE", f"{p}/s/{{token}}/files/{{file_id}}", ALL, own_file),
    ]
