"""Fixtures for the HTTP API: the app on a real vault, in-process or served over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow


@pytest.fixture
def app(vault):
    from exhibits.web.app import create_app

    return create_app(vault)


@pytest.fixture
def client(app) -> Iterator:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def token_of(vault):
    """Authorization headers with a new API token of a principal."""

    def make(principal, days: int = 1) -> dict[str, str]:
        _, secret = vault.access.tokens.create(principal, name="test", expires_in=timedelta(days=days))
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def event_count(vault):
    """How many custody events match (optionally) an action and a class."""

    def count(action: str | None = None, event_class: str | None = None) -> int:
        with vault.reading() as session:
            query = select(func.count()).select_from(CustodyEventRow)
            if action:
                query = query.where(CustodyEventRow.action == action)
            if event_class:
                query = query.where(CustodyEventRow.event_class == event_class)
            return session.scalar(query) or 0

    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app under uvicorn on a loopback port, as ``exhibits serve`` runs it."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def api_auth(vault, people):
    """An officer who is officer in charge of one case with one exhibit: enough to reach deep."""
    import io

    from exhibits.evidence.service import IngestRequest

    case = vault.evidence.create_case(people.officer, "42/2024/26", "Schemathesis case")
    vault.evidence.ingest_stream(
        people.officer,
        io.BytesIO(b"exhibit"),
        "e.txt",
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
    )
    _, secret = vault.access.tokens.create(people.officer, name="schemathesis", expires_in=timedelta(days=1))
    return {"Authorization": f"Bearer {secret}"}
