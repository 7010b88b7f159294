"""Checks for ``exhibits verify``: form records are what their versions' hashes say, and
every version's hash is the one the custody log recorded for it."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from exhibits.casefile.models import CaseRecord, CaseRecordVersion
from exhibits.custody.models import CustodyEventRow

if TYPE_CHECKING:
    from exhibits.vault import Vault

RECORD_ACTIONS = ("casefile.record.create", "casefile.record.update")


def _record_leaves(session, report: Any) -> list[bytes]:
    """The record events' leaves: collected by the log pass of ``exhibits verify`` (which
    checked each against its hash and columns), or read here for a report without them."""
    collected = getattr(getattr(report, "log", None), "leaves", None) or {}
    if all(action in collected for action in RECORD_ACTIONS):
        return [leaf for _, leaf in sorted(item for action in RECORD_ACTIONS for item in collected[action])]
    return list(
        session.scalars(
            select(CustodyEventRow.leaf)
            .where(CustodyEventRow.action.in_(RECORD_ACTIONS))
            .order_by(CustodyEventRow.seq)
        )
    )


def check_records(vault: Vault, report: Any) -> None:
    with vault.reading() as session:
        logged: dict[tuple[str, int], str] = {}
        for leaf in _record_leaves(session, report):
            details = orjson.loads(leaf)["details"]
            logged[(details["record"], details["version"])] = details["data_sha256"]
        latest: dict[tuple[str, int], str] = {}
        for version in session.scalars(select(CaseRecordVersion)):
            actual = hashlib.sha256(version.data.encode()).hexdigest()
            where = f"form record {version.record_id} version {version.version}"
            if actual != version.data_sha256:
                report.problem(
                    f"{where} has been altered (its content no longer hashes to {version.data_sha256})"
                )
            if logged.get((version.record_id, version.version)) != actual:
                report.problem(f"{where} does not match the hash the custody log recorded")
            latest[(version.record_id, version.version)] = actual
        for record in session.scalars(select(CaseRecord)):
            if latest.get((record.id, record.version)) != record.data_sha256:
                report.problem(f"form record {record.id} does not match its current version")
