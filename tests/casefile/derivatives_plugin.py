"""Derivatives for the bundle tests, made the way the pipeline and redaction engine make them:
real content stored in the vault, recorded by a ``derivative.create`` custody event, and
offered to the case file through the ``exhibits_derivatives`` hook."""

from __future__ import annotations

import io

from exhibits.casefile.derivatives import DerivativeInfo
from exhibits.custody.events import EventClass
from exhibits.hooks import hookimpl


class Derivatives:
    def __init__(self, vault) -> None:
        self.vault = vault
        self.made: list[DerivativeInfo] = []

    def make(
        self,
        principal,
        exhibit_id: str,
        parent_sha256: str,
        data: bytes,
        *,
        kind: str,
        purpose: str | None = None,
        tool: str = "exhibits-redact",
        tool_version: str = "0.1.0",
    ) -> DerivativeInfo:
        stored = self.vault.blobs.ingest(io.BytesIO(data), limit=1 << 30)

        def work(ctx):
            from exhibits.evidence.models import Blob

            if ctx.session.get(Blob, stored.sha256) is None:
                ctx.session.add(
                    Blob(
                        sha256=stored.sha256,
                        size=stored.size,
                        mime_type="video/mp4",
                        stored_at=self.vault.now(),
                    )
                )
            return self.vault.record(
                ctx,
                principal,
                "derivative.create",
                EventClass.CONTINUITY,
                exhibit_id=exhibit_id,
                sha256=stored.sha256,
                inputs=[parent_sha256],
                outputs=[stored.sha256],
                details={"kind": kind, "purpose": purpose},
                tool=tool,
                tool_version=tool_version,
            )

        draft = self.vault.write(work)
        info = DerivativeInfo(
            exhibit_id,
            stored.sha256,
            parent_sha256,
            kind,
            "video/mp4",
            stored.size,
            tool,
            tool_version,
            self.vault.now(),
            purpose,
            event_seq=draft.seq,
        )
        self.made.append(info)
        return info

    @hookimpl
    def exhibits_derivatives(self, session, exhibit_ids):
        return [d for d in self.made if d.exhibit_id in set(exhibit_ids)]
