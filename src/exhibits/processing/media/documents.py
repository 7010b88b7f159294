"""Document text: the words and page count of PDFs (text layer), Word documents (DOCX)
and plain text, as facts (``pages``: ``[{"page": 1, "text": ...}]``, ``page_count``,
``text``) and as a UTF-8 text derivative (pages separated by form feeds).

pypdf (BSD) reads PDFs, leniently: a damaged cross-reference table is rebuilt and noted
as a warning. python-docx (MIT) reads DOCX after the container is checked against zip
bombs. Scanned PDFs have no text layer: that is said plainly (OCR comes later, as its
own processor).
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Any, ClassVar

from exhibits.processing.media import metadata as md
from exhibits.processing.processor import Context, Derivative, ProcessingFailed, Processor, Result

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEXT_BYTES = 64 * 2**20
MAX_FACT_CHARS = 8 * 2**20  # text kept in the facts (the derivative keeps up to MAX_TEXT_BYTES)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 20:
            self.messages.append(record.getMessage()[:200])


def check_zip_container(path: Path, *, max_total: int, max_ratio: float, max_members: int) -> None:
    """Refuse an OOXML/zip container that would expand beyond reason (zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ProcessingFailed(f"the document's zip container is damaged: {exc}") from exc
    if len(infos) > max_members:
        raise ProcessingFailed(f"the document holds {len(infos):,} parts, over the limit of {max_members:,}")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > max_total or total / packed > max_ratio:
        raise ProcessingFailed(
            f"the document would expand to {total:,} bytes from {packed:,} (zip bomb guard: at most "
            f"{max_total:,} bytes and a ratio of {max_ratio:g})"
        )


class DocumentText(Processor):
    name = "document_text"
    version = "1"
    accepts = (
        "application/pdf",
        DOCX,
        "text/plain",
        "text/csv",
        "text/markdown",
        "application/rtf",
        "text/rtf",
    )
    queue = "default"
    timeout_seconds = 600
    memory_limit_mb: ClassVar[int | None] = 2048
    default_params: ClassVar[dict[str, Any]] = {"max_pages": 5000, "max_expanded_bytes": 512 * 2**20}

    def run(self, ctx: Context) -> Result:
        if ctx.mime_type == "application/pdf":
            pages, facts, notes = self._pdf(ctx.input_path, int(ctx.params["max_pages"]))
        elif ctx.mime_type == DOCX:
            pages, facts, notes = self._docx(ctx.input_path, int(ctx.params["max_expanded_bytes"]))
        else:
            pages, facts, notes = self._plain(ctx.input_path)
        text = "\f".join(pages)
        data = text.encode("utf-8", "replace")[:MAX_TEXT_BYTES]
        if len(text.encode("utf-8", "replace")) > MAX_TEXT_BYTES:
            notes.append(f"the text was cut at {MAX_TEXT_BYTES // 2**20} MiB")
        count = int(facts.pop("pages", len(pages)))
        kept, budget = [], MAX_FACT_CHARS
        for number, page in enumerate(pages, start=1):
            kept.append({"page": number, "text": page[: max(budget, 0)]})
            budget -= len(page)
        if budget < 0:
            notes.append(
                f"the facts keep the first {MAX_FACT_CHARS:,} characters; the text derivative has more"
            )
        facts.update(
            page_count=count,
            pages=kept,
            text="\n\n".join(p["text"] for p in kept),
            characters=len(text),
            words=len(text.split()),
        )
        derivatives = []
        if text.strip():
            out = ctx.workdir / "text.txt"
            out.write_bytes(data)
            derivatives.append(Derivative("text", out, "text/plain; charset=utf-8", "document text", {}))
        elif ctx.mime_type == "application/pdf":
            notes.append("the PDF has no text layer (a scan?): its words need OCR")
        return Result(facts=facts, derivatives=derivatives, warnings=notes)

    def _pdf(self, path: Path, max_pages: int) -> tuple[list[str], dict[str, Any], list[str]]:
        import pypdf
        from pypdf.errors import PdfReadError

        collector = _Collect()
        logger = logging.getLogger("pypdf")
        logger.addHandler(collector)
        try:
            try:
                reader = pypdf.PdfReader(path, strict=False)
                if reader.is_encrypted:
                    try:
                        reader.decrypt("")
                    except Exception as exc:
                        raise ProcessingFailed(
                            "the PDF is encrypted with a password: its text cannot be read"
                        ) from exc
                count = len(reader.pages)
            except PdfReadError as exc:
                raise ProcessingFailed(f"the PDF is damaged beyond repair: {str(exc)[:200]}") from exc
            pages = []
            notes: list[str] = []
            for number, page in enumerate(reader.pages[:max_pages], start=1):
                try:
                    pages.append(page.extract_text() or "")
                except Exception as exc:  # one bad page must not cost the others
                    pages.append("")
                    notes.append(f"page {number} could not be read ({type(exc).__name__})")
            if count > max_pages:
                notes.append(f"only the first {max_pages:,} of {count:,} pages were read")
            info = {}
            try:
                meta = reader.metadata or {}
                info = {
                    "title": md.text(meta.get("/Title")),
                    "author": md.text(meta.get("/Author")),
                    "creator": md.text(meta.get("/Creator")),
                    "producer": md.text(meta.get("/Producer")),
                    "created": md.text(meta.get("/CreationDate"), 64),
                    "modified": md.text(meta.get("/ModDate"), 64),
                }
            except Exception as exc:
                notes.append(f"the PDF's document information could not be read ({type(exc).__name__})")
        finally:
            logger.removeHandler(collector)
        notes += [f"PDF reader: {m}" for m in collector.messages]
        facts = {
            "kind": "document",
            "format": "pdf",
            "pages": count,
            **info,
            "tool": f"pypdf {pypdf.__version__}",
        }
        return pages, facts, notes

    def _docx(self, path: Path, max_expanded: int) -> tuple[list[str], dict[str, Any], list[str]]:
        import docx

        check_zip_container(path, max_total=max_expanded, max_ratio=200, max_members=10_000)
        try:
            document = docx.Document(str(path))
        except Exception as exc:
            raise ProcessingFailed(f"not a readable Word document: {str(exc)[:200]}") from exc
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.append("\t".join(cell.text for cell in row.cells))
        props = document.core_properties
        facts = {
            "kind": "document",
            "format": "docx",
            "title": md.text(props.title),
            "author": md.text(props.author),
            "last_modified_by": md.text(props.last_modified_by),
            "created": props.created.isoformat() if props.created else None,
            "modified": props.modified.isoformat() if props.modified else None,
            "pages": 1,
            "tool": "python-docx",
        }
        return ["\n".join(parts)], facts, []

    def _plain(self, path: Path) -> tuple[list[str], dict[str, Any], list[str]]:
        data = path.read_bytes()[:MAX_TEXT_BYTES]
        notes = []
        candidates = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",)
        for encoding in candidates:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("cp1252", "replace")
            notes.append("the text is not UTF-8: read as Windows-1252")
            encoding = "cp1252"
        return [text], {"kind": "document", "format": "text", "encoding": encoding, "pages": 1}, notes
