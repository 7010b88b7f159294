"""Opening content: any original or derivative of a case's exhibits, written to a file.

One consultation event per request, with the justification when force policy asks for
one (``justification_policy``), logged durably before a byte is written. The copy is
re-hashed as it is written and refused if it does not match.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.errors import Conflict, IntegrityFailure, InvalidInput, JustificationRequired, NotFound
from exhibits.evidence.models import Blob, Exhibit, Media
from exhibits.ids import is_hex_prefix
from exhibits.redaction.derivatives import find_derivatives

if TYPE_CHECKING:
    from exhibits.vault import Vault


@dataclass(frozen=True)
class ContentCopy:
    sha256: str
    size: int
    mime_type: str
    what: str  # "original of JS/1", "redacted copy (...) of JS/1"
    path: Path


def get_content(
    vault: Vault, principal: Principal, case_key: str, key: str, out: Path, justification: str | None
) -> ContentCopy:
    justification = (justification or "").strip() or None
    if vault.settings.justification_policy == "required" and not justification:
        reasons = "; ".join(vault.settings.justification_reasons[:3])
        raise JustificationRequired(
            f"opening evidence content needs a justification (--reason), e.g. {reasons}"
        )
    if out.exists() or out.is_symlink():
        raise Conflict(f"{out} already exists: choose a new file name")
    if not out.parent.is_dir():
        raise InvalidInput(f"the folder {out.parent} does not exist")
    with vault.reading() as session:
        case = vault.evidence.find_case(session, principal, case_key)
        principal.require(Permission.EXHIBIT_CONTENT, session, case.id)
        sha256, exhibit, what = _resolve(session, case.id, key)
        blob = session.get(Blob, sha256)
        if blob is None or blob.disposed_at is not None:
            raise NotFound(f"content {sha256} is not held (it may have been disposed of)")
        size, mime = blob.size, blob.mime_type
        ref = exhibit.ref
        exhibit_id, media_id, case_id = exhibit.id, exhibit.media_id, case.id
    vault.consulted(
        principal,
        "content.get",
        case_id=case_id,
        exhibit_id=exhibit_id,
        media_id=media_id,
        sha256=sha256,
        justification=justification,
        details={"what": f"{what} of {ref}", "size": size, "mime_type": mime},
    )
    _copy_checked(vault, sha256, out)
    return ContentCopy(sha256, size, mime, f"{what} of {ref}", out)


def _resolve(session, case_id: str, key: str) -> tuple[str, Exhibit, str]:
    text = key.strip()
    exhibit = session.scalar(select(Exhibit).where(Exhibit.case_id == case_id, Exhibit.ref == text.upper()))
    if exhibit is not None:
        media = session.get(Media, exhibit.media_id)
        return media.sha256, exhibit, "original"
    prefix = text.lower()
    if not is_hex_prefix(prefix, minimum=8):
        raise NotFound(
            f"no exhibit {text} in this case (give a reference such as JS/1, or a SHA-256 of 8+ digits)"
        )
    originals = session.execute(
        select(Exhibit, Media.sha256)
        .join(Media, Media.id == Exhibit.media_id)
        .where(Exhibit.case_id == case_id, Media.sha256.startswith(prefix))
    ).all()
    matches: dict[str, tuple[Exhibit, str]] = {sha: (ex, "original") for ex, sha in originals}
    for derived in find_derivatives(session, case_id, prefix):
        matches.setdefault(derived.sha256, (session.get(Exhibit, derived.exhibit_id), derived.label))
    if not matches:
        raise NotFound(f"no original or derivative in this case has a SHA-256 starting {prefix}")
    if len(matches) > 1:
        raise InvalidInput(f"{prefix} matches {len(matches)} items: give more digits")
    ((sha256, (exhibit, what)),) = matches.items()
    return sha256, exhibit, what


def _copy_checked(vault: Vault, sha256: str, out: Path) -> None:
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with vault.blobs.open(sha256) as source, open(tmp, "xb") as target:
            for chunk in iter(lambda: source.read(4 * 2**20), b""):
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        if digest.hexdigest() != sha256:
            raise IntegrityFailure(f"stored content {sha256} does not match its hash: run 'exhibits verify'")
        os.link(tmp, out)  # never replaces a file that appeared meanwhile
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
