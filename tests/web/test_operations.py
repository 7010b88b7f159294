"""Running Exhibits: health, readiness, metrics, structured logs, the API document, exhibits serve."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import httpx

from tests.conftest import ADMIN_PASSWORD


def test_health_and_readiness(client):
    assert client.get("/api/health").json() == {"status": "ok"}
    ready = client.get("/api/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_metrics_count_requests_by_route_template(client, people, token_of):
    client.get("/api/v1/cases", headers=token_of(people.officer))
    text = client.get("/api/metrics").text
    assert 'exhibits_http_requests_total{method="GET",route="/api/v1/cases",status="200"} 1.0' in text
    assert "exhibits_http_request_duration_seconds_bucket" in text
    assert "exhibits_uploads_in_progress 0.0" in text


def test_openapi_document_and_docs_page(client):
    document = client.get("/api/openapi.json").json()
    assert document["info"]["title"] == "Exhibits API"
    assert "/api/v1/cases/{case_id}/exhibits" in document["paths"]
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in page.text
    script = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000  # served locally: no CDN


def test_logs_are_json_lines_with_the_request_id(client, people, token_of, capsys):
    from exhibits.web.logs import JsonFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("exhibits.web.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/cases", headers={**token_of(people.officer), "X-Request-ID": "trace-me-123"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(e for e in lines if e.get("request_id") == "trace-me-123")
    assert entry["route"] == "/api/v1/cases" and entry["status"] == 200 and entry["user"] == "1234"
    assert entry["ts"].endswith("Z")


def test_exhibits_serve_runs_the_api(vault_path, tmp_path):
    from tests.web.conftest import free_port

    port = free_port()
    env = {**os.environ, "EXHIBITS_VAULT": str(vault_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "exhibits", "serve", "--port", str(port), "--no-workers"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "exhibits serve did not start"
            time.sleep(0.2)
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login", json={"collar": "ADMIN", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(e.get("route") == "/api/v1/auth/login" for e in logged)


def test_the_server_sets_its_start_up_heap_aside_after_collecting_garbage():
    """Objects alive at start-up are kept out of later collections (a full collection would
    walk them all while requests wait), and garbage is collected first, not kept for good."""
    import gc
    import weakref

    from exhibits.web.server import settle_heap

    class Node:
        pass

    garbage = Node()
    garbage.self = garbage  # type: ignore[attr-defined]  # a cycle: only the collector frees it
    gone = weakref.ref(garbage)
    del garbage
    try:
        settle_heap()
        assert gone() is None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
