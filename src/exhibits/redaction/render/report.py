"""The redaction report that goes with every render: JSON for machines, PDF for people.

It says what was redacted and why (counts by reason, every item with who made and who
confirmed it), what was reviewed and deliberately left, the set version and its digest,
and the hashes of the original and of the redacted copy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exhibits.clock import iso_utc, utcnow
from exhibits.redaction.domain import ItemState, reason_label
from exhibits.redaction.render import RenderOutcome
from exhibits.redaction.views import SetView


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(4 * 2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Report:
    data: dict[str, Any]

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")

    def write_pdf(self, path: Path) -> None:
        _write_pdf(self.data, path)


def build_report(
    view: SetView, outcome: RenderOutcome, people: dict[str, str], *, tool: str, tool_version: str
) -> Report:
    def who(user_id: str | None) -> str | None:
        return people.get(user_id, user_id) if user_id else None

    redacted = [i for i in view.items if i.state == ItemState.ACCEPTED]
    kept = [i for i in view.items if i.state == ItemState.KEPT]
    by_reason: dict[str, int] = {}
    for item in redacted:
        by_reason[reason_label(item.reason)] = by_reason.get(reason_label(item.reason), 0) + 1
    reviewers = sorted({who(i.decided_by) for i in view.items if i.decided_by} - {None})  # type: ignore[type-var]
    data = {
        "report": "redaction",
        "generated_at": iso_utc(utcnow()),
        "case": view.case_ref,
        "exhibit": view.exhibit_ref,
        "purpose": view.purpose,
        "set": view.id,
        "set_version": view.version,
        "set_digest": view.digest,
        "original_sha256": view.sha256,
        "redacted_sha256": _sha256(outcome.path),
        "redacted_mime_type": outcome.mime_type,
        "media_kind": view.media_kind,
        "tool": tool,
        "tool_version": tool_version,
        "parameters": outcome.params,
        "counts_by_reason": by_reason,
        "regions_redacted": len(redacted),
        "rejected_as_false_detections": sum(1 for i in view.items if i.state == ItemState.REJECTED),
        "reviewed_by": reviewers,
        "items": [
            {
                "number": i.number,
                "kind": i.kind,
                "reason": reason_label(i.reason),
                "note": i.note,
                "what": i.summary(),
                "source": i.source,
                "made_by": who(i.created_by),
                "confirmed_by": who(i.decided_by),
                "confirmed_at": iso_utc(i.decided_at) if i.decided_at else None,
            }
            for i in redacted
        ],
        "reviewed_not_redacted": [
            {
                "number": i.number,
                "reason": reason_label(i.reason),
                "why": i.note,
                "what": i.summary(),
                "decided_by": who(i.decided_by),
                "decided_at": iso_utc(i.decided_at) if i.decided_at else None,
            }
            for i in kept
        ],
        "statistics": outcome.stats,
        "warnings": outcome.warnings,
    }
    return Report(data)


def _write_pdf(data: dict[str, Any], path: Path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)

    def p(text: Any, style=small) -> Paragraph:
        return Paragraph(escape("" if text is None else str(text)), style)

    story: list[Any] = [
        Paragraph("Redaction report", styles["Title"]),
        p(f"Case {data['case']}, exhibit {data['exhibit']}; purpose: {data['purpose']}", styles["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    facts = [
        ("Redaction set", f"{data['set']} version {data['set_version']}"),
        ("Set digest (SHA-256)", data["set_digest"]),
        ("Original (SHA-256)", data["original_sha256"]),
        ("Redacted copy (SHA-256)", data["redacted_sha256"]),
        ("Redacted copy type", data["redacted_mime_type"]),
        ("Tool", f"{data['tool']} {data['tool_version']}"),
        ("Regions redacted", data["regions_redacted"]),
        ("Rejected as false detections", data["rejected_as_false_detections"]),
        ("Reviewed by", "; ".join(data["reviewed_by"]) or "-"),
        ("Generated (UTC)", data["generated_at"]),
    ]
    story.append(_table([(p(k), p(v)) for k, v in facts], [50 * mm, 120 * mm], colors))
    story += [Spacer(1, 4 * mm), Paragraph("Redactions by reason", styles["Heading3"])]
    rows = [(p("reason"), p("count"))] + [(p(k), p(v)) for k, v in sorted(data["counts_by_reason"].items())]
    story.append(_table(rows, [120 * mm, 50 * mm], colors, header=True))
    if data["reviewed_not_redacted"]:
        story += [Spacer(1, 4 * mm), Paragraph("Reviewed, not redacted", styles["Heading3"])]
        rows = [(p("#"), p("reason"), p("why"), p("decided by"))] + [
            (p(i["number"]), p(i["reason"]), p(i["why"]), p(i["decided_by"]))
            for i in data["reviewed_not_redacted"]
        ]
        story.append(_table(rows, [10 * mm, 40 * mm, 80 * mm, 40 * mm], colors, header=True))
    story += [Spacer(1, 4 * mm), Paragraph("Items redacted", styles["Heading3"])]
    rows = [(p("#"), p("reason"), p("what"), p("made by"), p("confirmed by"))] + [
        (p(i["number"]), p(i["reason"]), p(i["what"]), p(i["made_by"]), p(i["confirmed_by"]))
        for i in data["items"]
    ]
    story.append(_table(rows, [10 * mm, 35 * mm, 65 * mm, 30 * mm, 30 * mm], colors, header=True))
    if data["warnings"]:
        story += [Spacer(1, 4 * mm), Paragraph("Warnings", styles["Heading3"])]
        story += [p(w) for w in data["warnings"]]
    document = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        title="Redaction report",
        author=str(data["tool"]),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        invariant=1,
    )
    document.build(story)


def _table(rows, widths, colors, header: bool = False):
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey))
    table.setStyle(TableStyle(style))
    return table
