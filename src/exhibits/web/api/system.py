"""Health, readiness, metrics, and the API's own description (OpenAPI and its docs page)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from exhibits.errors import NotFound
from exhibits.web.auth import public

router = APIRouter(prefix="/api", tags=["system"])
_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


@router.get("/health", dependencies=[public("liveness probe: says only that the process answers")])
async def health() -> dict[str, str]:
    return {"status": "ok"}


def _readiness(vault) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with vault.reading() as session:
            session.execute(text("SELECT 1"))
            vault.log.head(session)
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    try:
        vault.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        checks["storage"] = "ok" if vault.settings.tmp_dir.is_dir() else "unavailable"
    except OSError:
        checks["storage"] = "unavailable"
    return checks


@router.get("/ready", dependencies=[public("readiness probe: database and storage reachable, no details")])
async def ready(request: Request) -> JSONResponse:
    checks = await run_in_threadpool(_readiness, request.app.state.vault)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    dependencies=[public("Prometheus scrape: counts and timings by route template only")],
)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/openapi.json", include_in_schema=False, dependencies=[public("the API's description")])
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False, dependencies=[public("the API's documentation page")])
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="Exhibits API",
        swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/api/docs/assets/swagger-ui.css",
        swagger_favicon_url="data:,",
    )


@router.get("/docs/assets/{name}", include_in_schema=False, dependencies=[public("the docs page's script")])
async def docs_asset(name: str) -> Response:
    if name not in _ASSETS:  # a fixed list: no path from the request ever reaches the filesystem
        raise NotFound("no such file")
    import fastapi_offline

    path = Path(fastapi_offline.__file__).parent / "static" / name
    return Response(path.read_bytes(), media_type=_ASSETS[name], headers={"Cache-Control": "max-age=86400"})
