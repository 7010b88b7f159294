"""Redaction as a built-in plugin: its tables and commands."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.redaction import models

    return models


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.redaction.cli import register

    register(app)


@hookimpl
def exhibits_processors():
    from exhibits.redaction.processors import FaceProposals, PlateReads

    return [FaceProposals, PlateReads]


@hookimpl
def exhibits_derivatives(session, exhibit_ids):
    """Rendered redactions, with the purpose of their set, for the case file and bundles."""
    from sqlalchemy import select

    from exhibits.casefile.derivatives import DerivativeInfo
    from exhibits.evidence.models import Blob
    from exhibits.redaction.models import RedactionRender, RedactionSet

    rows = session.execute(
        select(RedactionRender, RedactionSet.purpose, Blob.size)
        .join(RedactionSet, RedactionSet.id == RedactionRender.set_id)
        .join(Blob, Blob.sha256 == RedactionRender.sha256)
        .where(RedactionRender.exhibit_id.in_(list(exhibit_ids)), Blob.disposed_at.is_(None))
    )
    return [
        DerivativeInfo(
            exhibit_id=render.exhibit_id,
            sha256=render.sha256,
            parent_sha256=render.parent_sha256,
            kind="redacted",
            mime_type=render.mime_type,
            size=size,
            tool=render.tool,
            tool_version=render.tool_version,
            created_at=render.at,
            purpose=purpose,
            label=f"redacted copy for {purpose} (set version {render.version})",
        )
        for render, purpose, size in rows
    ]


@hookimpl
def exhibits_derivative(session, parent_sha256, sha256):
    """A rendered redaction of ``parent_sha256`` (or its report), so that people who may open the
    exhibit may open the redacted copy through the same justified grant."""
    from sqlalchemy import or_, select

    from exhibits.redaction.models import RedactionRender

    render = session.scalar(
        select(RedactionRender)
        .where(
            RedactionRender.parent_sha256 == parent_sha256,
            or_(
                RedactionRender.sha256 == sha256,
                RedactionRender.report_json_sha256 == sha256,
                RedactionRender.report_pdf_sha256 == sha256,
            ),
        )
        .limit(1)
    )
    if render is None:
        return None
    if sha256 == render.sha256:
        return {"kind": "redacted", "mime_type": render.mime_type}
    if sha256 == render.report_pdf_sha256:
        return {"kind": "redaction-report", "mime_type": "application/pdf"}
    return {"kind": "redaction-report", "mime_type": "application/json"}


@hookimpl
def exhibits_api(app) -> None:
    from exhibits.redaction.api import router
    from exhibits.web.api import PROBLEM_RESPONSES

    app.include_router(router, responses=PROBLEM_RESPONSES)
