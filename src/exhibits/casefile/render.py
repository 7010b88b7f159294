"""Forms as clean PDFs (fpdf2, LGPL) and as structured JSON.

Every page carries the URN, the Government Security Classification marking at top and
bottom, and "Page N of M"; non-disclosable forms carry a chequered band and the words
"NOT DISCLOSABLE". Output is deterministic for a given record version (the PDF's dates are
the record's own), so a bundle exported twice holds byte-identical forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from exhibits import __version__
from exhibits.casefile.forms import FORM_TYPES, Disclosure
from exhibits.clock import iso_utc, uk_local
from exhibits.evidence.models import Case

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian fonts-dejavu-core
DECLARATION = (
    "This statement (consisting of {pages} page(s) each signed by me) is true to the best of my "
    "knowledge and belief and I make it knowing that, if it is tendered in evidence, I shall be "
    "liable to prosecution if I have wilfully stated in it anything which I know to be false, or "
    "do not believe to be true."
)


@dataclass
class Document:
    """What a form says, independent of layout: fields, paragraphs and tables."""

    form: str
    title: str
    urn: str
    classification: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[tuple[str, Any]] = field(default_factory=list)  # ("heading"|"text"|"table", value)
    updated_at: datetime | None = None

    def heading(self, text: str) -> None:
        self.blocks.append(("heading", text))

    def text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.blocks.append(("table", (header, rows, widths)))


class _PDF(FPDF):
    def __init__(self, doc: Document, font: str) -> None:
        super().__init__(format="A4")
        self.doc = doc
        self.font_name = font
        self.non_disclosable = FORM_TYPES[doc.form].disclosure == Disclosure.NEVER
        self.set_auto_page_break(True, margin=20)
        self.set_margins(15, 33, 15)

    def header(self) -> None:
        self.set_font(self.font_name, "B", 10)
        self.set_y(8)
        self.cell(0, 5, self.doc.classification, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.non_disclosable:
            self._chequer(14)
            self.set_font(self.font_name, "B", 8)
            self.cell(
                0,
                4,
                "NOT DISCLOSABLE - POLICE AND PROSECUTION ONLY",
                align="C",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        self.set_font(self.font_name, "", 8)
        self.set_y(25)
        self.cell(95, 5, f"{self.doc.form}  {FORM_TYPES[self.doc.form].title}")
        self.cell(
            0,
            5,
            f"URN: {self.doc.urn or 'not yet allocated'}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_y(33)

    def _chequer(self, y: float) -> None:
        size = 2.5
        self.set_fill_color(0, 0, 0)
        x, i = self.l_margin, 0
        while x < self.w - self.r_margin:
            for row in range(2):
                if (i + row) % 2 == 0:
                    self.rect(x, y + row * size, size, size, style="F")
            x += size
            i += 1
        self.set_y(y + 2 * size + 0.5)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.font_name, "", 8)
        self.cell(60, 5, self.doc.classification)
        self.cell(60, 5, f"Exhibits {__version__}", align="C")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _font(pdf: FPDF) -> str:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu"
    return "Helvetica"


def _safe(text: str, font: str) -> str:
    if font == "DejaVu":
        return text
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(doc: Document) -> bytes:
    return _render(doc)[0]


def _render(doc: Document) -> tuple[bytes, int]:
    probe = FPDF()
    font = _font(probe)
    pdf = _PDF(doc, font)
    if font == "DejaVu":
        _font(pdf)
    moment = doc.updated_at or datetime(2000, 1, 1, tzinfo=UTC)
    pdf.set_creation_date(moment)
    pdf.set_title(f"{doc.form} {doc.title}")
    pdf.set_creator(f"Exhibits {__version__}")
    pdf.set_producer(f"Exhibits {__version__} (fpdf2)")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(font, "B", 13)
    pdf.multi_cell(0, 7, _safe(doc.title, font), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for label, value in doc.fields:
        pdf.set_font(font, "B", 9)
        pdf.cell(50, 5.5, _safe(label, font))
        pdf.set_font(font, "", 9)
        pdf.multi_cell(0, 5.5, _safe(value or "-", font), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for kind, value in doc.blocks:
        if kind == "heading":
            pdf.ln(3)
            pdf.set_font(font, "B", 10.5)
            pdf.multi_cell(0, 6, _safe(value, font), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif kind == "text":
            pdf.set_font(font, "", 9.5)
            pdf.multi_cell(0, 5, _safe(value or "-", font), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        else:
            header, rows, widths = value
            pdf.set_font(font, "", 8.5)
            with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
                row = table.row()
                for cell in header:
                    row.cell(_safe(cell, font))
                for values in rows:
                    row = table.row()
                    for cell in values:
                        row.cell(_safe(str(cell), font))
            pdf.ln(2)
    return bytes(pdf.output()), pdf.page


# --- documents for each form ---------------------------------------------------------------


def _base(form: str, title: str, case: Case, updated_at: datetime | None) -> Document:
    return Document(form, title, case.urn or "", case.classification, updated_at=updated_at)


def _signature_lines(doc: Document, signature: dict | None) -> None:
    doc.heading("Signature")
    if not signature:
        doc.text("Not signed (draft).")
        return
    doc.text(
        f"Signed electronically by {signature.get('signed_by')} on "
        f"{uk_local(datetime.fromisoformat(signature['signed_at'].replace('Z', '+00:00')))}"
        f" ({signature.get('method')}); recorded by "
        f"{signature.get('recorded_by') or signature.get('signed_by')}."
    )
    doc.text(f"Content SHA-256 (version {signature.get('version')}): {signature.get('data_sha256')}")


def record_document(view: Any, case: Case, *, pages: int | None = None) -> Document:
    """A stored record (RecordView) as a document."""
    data, form = view.data, view.form
    doc = _base(form, view.title, case, view.updated_at)
    doc.fields.append(("Case", case.crime_ref))
    if view.state == "superseded":
        doc.fields.append(("Status", "SUPERSEDED by a later version; kept as relevant material"))
    if form == "MG11":
        age = data.get("age")
        doc.fields += [
            ("Statement of", data["statement_of"]),
            ("Age", "Over 18" if age == "over 18" else f"{age} (under 18)"),
            ("Occupation", data.get("occupation") or ""),
            ("Date", data["statement_date"]),
            ("Pages", str(pages or (view.signature or {}).get("pages") or "")),
        ]
        count = pages or (view.signature or {}).get("pages") or "N"
        doc.heading("Declaration (s.9 Criminal Justice Act 1967; CrimPR 16.2)")
        doc.text(DECLARATION.format(pages=count))
        if data.get("reader"):
            doc.text(
                f"This statement was read to the witness by {data['reader']}, who signs below as reader."
            )
        doc.heading("Statement")
        for paragraph in data["body"].split("\n\n"):
            doc.text(paragraph)
        if data.get("exhibits_produced"):
            doc.heading("Exhibits produced")
            doc.text(", ".join(data["exhibits_produced"]))
        _signature_lines(doc, view.signature)
    elif form == "MG11R":
        avoid = data["dates_to_avoid"]
        avoid_text = "None" if avoid == "none" else "; ".join(f"{r['start']} to {r['end']}" for r in avoid)
        doc.fields += [
            ("Home address", data.get("home_address") or ""),
            ("Postcode", data.get("postcode") or ""),
            ("Telephone", ", ".join(data.get("phones") or [])),
            ("Email", data.get("email") or ""),
            ("Preferred contact", data.get("preferred_contact") or ""),
            ("Dates to avoid", avoid_text),
            ("Medical records consent", _yes_no(data.get("consent_medical_records"))),
            ("Special measures", data.get("special_measures") or ""),
            ("Particular needs", data.get("particular_needs") or ""),
            ("Willing to attend court", _yes_no(data.get("willing_to_attend_court"))),
            ("VPS offered", _yes_no(data.get("victim_personal_statement_offered"))),
        ]
        _signature_lines(doc, view.signature)
    elif form == "MG5":
        doc.fields.append(("Anticipated plea", data["anticipated_plea"]))
        for key, label in (
            ("headline", "Headline summary"),
            ("chronology", "Chronological summary"),
            ("key_witnesses", "What key witnesses say"),
            ("interview_summary", "Interview summary"),
            ("visual_evidence", "Visual evidence"),
            ("compensation", "Compensation"),
            ("other_information", "Other information"),
        ):
            doc.heading(label)
            doc.text(data.get(key) or "")
        doc.heading("Supervisor certification")
        if view.state == "locked":
            sig = view.signature or {}
            doc.text(f"Certified accurate and locked by {sig.get('signed_by')} on {sig.get('signed_at')}.")
            doc.text(f"Content SHA-256 (version {sig.get('version')}): {sig.get('data_sha256')}")
        else:
            doc.text("Not yet signed off by a supervisor.")
    elif form == "MG6D":
        doc.heading("Nil return")
        doc.text(data.get("statement", ""))
        _signature_lines(doc, view.signature)
    elif form == "MG6E":
        doc.table(
            ["Item", "Schedule", "Why it might undermine or assist", "Copy supplied"],
            [
                [str(e["item_no"]), e["schedule"], e["reason"], _yes_no(e["copy_supplied"])]
                for e in data["entries"]
            ],
            [14, 20, 116, 30],
        )
        if data.get("comments"):
            doc.heading("Comments")
            doc.text(data["comments"])
        _signature_lines(doc, view.signature)
    elif form == "SDC":
        doc.heading("Certificate")
        doc.text(data["statement"])
        doc.heading("Items that meet the disclosure test")
        doc.text(", ".join(str(n) for n in data["items_to_disclose"]) or "None")
        _signature_lines(doc, view.signature)
    return doc


def mg12_document(case: Case, rows: list[dict], updated_at: datetime | None) -> Document:
    doc = _base("MG12", "Exhibit list", case, updated_at)
    doc.fields.append(("Case", case.crime_ref))
    doc.table(
        ["Exhibit", "Description", "Producer", "Produced in"],
        [[r["ref"], r["description"], r["producer"], "; ".join(r["produced_in"])] for r in rows],
        [22, 88, 40, 30],
    )
    return doc


def schedule_document(
    case: Case, schedule: str, items: list, updated_at: datetime | None, nil_return: Any = None
) -> Document:
    title = FORM_TYPES[schedule].title
    doc = _base(schedule, title, case, updated_at)
    doc.fields.append(("Case", case.crime_ref))
    doc.fields.append(("Numbering", "Items are numbered consecutively across all schedules of the case."))
    if schedule == "MG6C":
        doc.table(
            ["No.", "Description", "Location", "Prosecutor"],
            [
                [
                    str(i.item_no),
                    i.description + (" (edited)" if i.edited else ""),
                    i.location,
                    i.decision or "",
                ]
                for i in items
            ],
            [12, 98, 50, 20],
        )
        doc.text("Prosecutor: D = disclose; CND = clearly not disclosable; I = inspect.")
    else:
        if not items:
            doc.heading("Nil return")
            doc.text(nil_return.data["statement"] if nil_return else "No MG6D nil return has been signed.")
            if nil_return is not None:
                _signature_lines(doc, nil_return.signature)
        else:
            doc.table(
                ["No.", "Description", "Reason for sensitivity", "Prosecutor"],
                [
                    [str(i.item_no), i.description, i.sensitivity_reason or "", i.decision or ""]
                    for i in items
                ],
                [12, 78, 70, 20],
            )
    return doc


def _yes_no(value: Any) -> str:
    return {True: "Yes", False: "No"}.get(value, "Not recorded")


def document_json(doc: Document, payload: dict[str, Any]) -> dict[str, Any]:
    """The structured twin of a rendered form."""
    return {
        "form": doc.form,
        "form_title": FORM_TYPES[doc.form].title,
        "disclosure": str(FORM_TYPES[doc.form].disclosure),
        "urn": doc.urn,
        "classification": doc.classification,
        "title": doc.title,
        "as_of": iso_utc(doc.updated_at) if doc.updated_at else None,
        **payload,
    }


def count_pages(view: Any, case: Case) -> int:
    """Pages an MG11 will have once signed (the declaration states the count)."""
    return _render(record_document(view, case, pages=999))[1]
