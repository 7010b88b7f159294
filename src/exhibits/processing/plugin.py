"""Processing as a built-in plugin: its tables, commands, processors and the outbox."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.processing import models

    return models


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.processing.cli import register

    register(app)


@hookimpl
def exhibits_content_added(ctx, vault, media, exhibit) -> None:
    vault.processing.on_content_added(ctx, media, exhibit)


@hookimpl
def exhibits_prepare_ingest(vault) -> None:
    vault.processing.registry  # noqa: B018  (imports the processors, once per process)


@hookimpl
def exhibits_processors():
    from exhibits.processing.media import BUILT_IN

    return BUILT_IN


@hookimpl
def exhibits_workers(vault):
    """``exhibits serve`` runs one embedded worker beside the web server (not in Celery
    mode, where workers run on the processing machines)."""
    from exhibits.processing.settings import ProcessingSettings

    settings = vault.settings.section("processing", ProcessingSettings)
    if settings.mode != "embedded" or not settings.serve_worker:
        return []
    return [["worker"]]


@hookimpl
def exhibits_derivatives(vault, session, exhibit_ids):
    """Derivatives the pipeline made of these exhibits' content (proxies, audio, transcripts...),
    for the case file and bundles."""
    from sqlalchemy import select

    from exhibits.casefile.derivatives import DerivativeInfo
    from exhibits.evidence.models import Exhibit, Media

    found = []
    rows = session.execute(
        select(Exhibit.id, Media.sha256)
        .join(Media, Media.id == Exhibit.media_id)
        .where(Exhibit.id.in_(list(exhibit_ids)))
    )
    for exhibit_id, sha256 in rows:
        for derivative in vault.processing.derivatives(sha256, session=session):
            found.append(
                DerivativeInfo(
                    exhibit_id=exhibit_id,
                    sha256=derivative.sha256,
                    parent_sha256=derivative.parent_sha256,
                    kind=derivative.kind,
                    mime_type=derivative.mime_type,
                    size=derivative.size,
                    tool=derivative.processor,
                    tool_version=derivative.version,
                    created_at=derivative.created_at,
                    label=derivative.label,
                )
            )
    return found


@hookimpl
def exhibits_derivative(session, parent_sha256, sha256):
    """Whether ``sha256`` was made by the pipeline from ``parent_sha256`` (directly, or from a
    derivative of it), so that people may open it through the exhibit's content grant."""
    from sqlalchemy import select

    from exhibits.processing.models import DerivativeRecord

    wanted = sha256
    for _ in range(4):  # a derivative of a derivative, at most a few steps from the original
        record = session.scalar(
            select(DerivativeRecord).where(DerivativeRecord.output_sha256 == wanted).limit(1)
        )
        if record is None:
            return None
        if record.parent_sha256 == parent_sha256:
            found = session.scalar(
                select(DerivativeRecord).where(DerivativeRecord.output_sha256 == sha256).limit(1)
            )
            return {"kind": found.kind, "mime_type": found.mime_type}
        wanted = record.parent_sha256
    return None


@hookimpl
def exhibits_api(app) -> None:
    from exhibits.processing.api import router
    from exhibits.web.api import PROBLEM_RESPONSES

    app.include_router(router, responses=PROBLEM_RESPONSES)
