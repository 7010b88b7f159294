"""What later capabilities plug into: derivatives opened through the same grant, background
workers started by ``exhibits serve``."""

from __future__ import annotations

import io
import sys

from exhibits.evidence.service import IngestRequest
from exhibits.hooks import hookimpl, plugin_manager


class DerivedFrom:
    """Stands in the place the processing capability fills: content B derives from content A."""

    def __init__(self, parent: str, child: str) -> None:
        self.parent, self.child = parent, child

    @hookimpl
    def exhibits_derivative(self, session, parent_sha256, sha256):
        if (parent_sha256, sha256) == (self.parent, self.child):
            return {"kind": "proxy", "mime_type": "video/mp4"}
        return None


def test_a_derivative_is_opened_through_the_same_justified_grant(
    client, vault, people, token_of, event_count
):
    case = vault.evidence.create_case(people.officer, "42/808/26", "Affray")
    request = IngestRequest(case=case.id, producer="PC 1234 Jane Smith")
    original = vault.evidence.ingest_stream(
        people.officer, io.BytesIO(b"original footage"), "bwv.mov", request
    )
    stored = vault.blobs.ingest(io.BytesIO(b"proxy footage"), limit=10**6)
    from exhibits.evidence.models import Blob

    blob = Blob(sha256=stored.sha256, size=stored.size, mime_type="video/mp4", stored_at=vault.now())
    vault.write(lambda ctx: ctx.session.add(blob))
    auth = token_of(people.officer)
    url = f"/api/v1/exhibits/{original.exhibit_id}/access"
    refused = client.post(url, json={"reason": "Disclosure review", "sha256": stored.sha256}, headers=auth)
    assert refused.status_code == 404  # not known to derive from this exhibit
    plugin = DerivedFrom(original.sha256, stored.sha256)
    plugin_manager().register(plugin)
    try:
        grant = client.post(url, json={"reason": "Disclosure review", "sha256": stored.sha256}, headers=auth)
    finally:
        plugin_manager().unregister(plugin)
    assert grant.status_code == 201 and grant.json()["derivative"] == "proxy"
    content = client.get(grant.json()["url"])
    assert content.content == b"proxy footage" and content.headers["content-type"] == "video/mp4"
    assert "JS-1-proxy" in content.headers["content-disposition"]


class Worker:
    @hookimpl
    def exhibits_workers(self, vault):
        return [["--version"]]


def test_serve_starts_the_workers_the_capabilities_ask_for(vault):
    from exhibits.web.server import start_workers, stop_workers, worker_commands

    # The processing pipeline asks for its embedded job worker; a later capability adds its own.
    assert worker_commands(vault) == [["worker"]]
    plugin = Worker()
    plugin_manager().register(plugin)
    try:
        assert sorted(worker_commands(vault)) == [["--version"], ["worker"]]
        children = start_workers(vault)
    finally:
        plugin_manager().unregister(plugin)
    try:
        # Each runs as `[nice -n N] python -m exhibits COMMAND...`.
        program = [sys.executable, "-m", "exhibits"]
        starts = {c: c.args.index(sys.executable) for c in children}
        assert all(c.args[at : at + 3] == program for c, at in starts.items())
        by_command = {tuple(c.args[at + 3 :]): c for c, at in starts.items()}
        assert sorted(by_command) == [("--version",), ("worker",)]
        assert by_command[("--version",)].wait(timeout=60) == 0
        assert by_command[("worker",)].poll() is None  # the job worker keeps running beside the server
    finally:
        stop_workers(children)
    assert by_command[("worker",)].returncode is not None  # and stops with it
