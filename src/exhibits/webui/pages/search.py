"""Search across the force's cases: one box, filters, and hits that open the exhibit at the
second of the recording or the page and box of the document (``SearchService`` authorises
and logs each search as one consultation)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from markupsafe import Markup, escape

from exhibits.errors import InvalidInput
from exhibits.search.backends import LAYERS, TYPES
from exhibits.search.service import MODES, Filters, Hit
from exhibits.webui.i18n import gettext as _
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()

PAGE_SIZE = 50
MAX_PAGES = 200  # the service answers offsets up to 10,000


def mode_labels() -> dict[str, str]:
    return {"hybrid": _("Words and meaning"), "keyword": _("Exact words"), "semantic": _("Meaning only")}


def type_labels() -> dict[str, str]:
    return {"video": _("Video"), "audio": _("Audio"), "image": _("Images"), "document": _("Documents")}


def layer_labels() -> dict[str, str]:
    return {
        "transcript": _("What was said"),
        "ocr": _("Text in pictures"),
        "document": _("Document text"),
        "metadata": _("Exhibit details"),
        "case": _("Case"),
    }


def clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def where(hit: Hit) -> str:
    """Where in the exhibit the hit is, in words."""
    locator = hit.locator or {}
    if "start" in locator:
        return _("at %(time)s") % {"time": clock(float(locator["start"]))}
    if "page" in locator:
        return _("page %(page)s") % {"page": locator["page"]}
    return ""


def highlight(text: str, query: str, limit: int = 300) -> Markup:
    """The hit's text (shortened) with the words searched for marked, escaped for HTML."""
    text = text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
    words = sorted({w for w in re.split(r"\W+", query) if len(w) > 1}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("(" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
    parts = pattern.split(text)
    return Markup("").join(
        Markup("<mark>{}</mark>").format(part) if i % 2 else escape(part) for i, part in enumerate(parts)
    )


def open_link(hit: Hit) -> str:
    """The exhibit page for a hit, at its place: the service's ``#t=`` / ``#page=&box=`` fragment
    is kept (for players that read it) and repeated as a query, which survives the justified
    opening of the content (a form post drops fragments)."""
    if not hit.exhibit_id:
        return f"/cases/{hit.case_id}"
    fragment = hit.link.partition("#")[2]
    base = f"/exhibits/{hit.exhibit_id}"
    return f"{base}?{fragment}#{fragment}" if fragment else base


def _day(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(_("%(field)s is a date such as 2026-11-21") % {"field": field}) from None


@router.get("/search", name="search")
def search_page(request: Request, caller: Viewer):
    params = request.query_params
    query = " ".join(params.get("q", "").split())
    mode = params.get("mode", "hybrid")
    form = {
        "q": query,
        "mode": mode if mode in MODES else "hybrid",
        "case": params.get("case", "").strip(),
        "type": params.get("type", "") if params.get("type", "") in TYPES else "",
        "layer": params.get("layer", "") if params.get("layer", "") in LAYERS else "",
        "from": params.get("from", "").strip(),
        "to": params.get("to", "").strip(),
    }
    try:
        page = max(1, min(MAX_PAGES, int(params.get("page", "1"))))
    except ValueError:
        page = 1
    results, error = None, None
    if query:
        try:
            filters = Filters(
                case=form["case"] or None,
                type=form["type"] or None,
                layer=form["layer"] or None,
                date_from=_day(form["from"], _("From")),
                date_to=_day(form["to"], _("To")),
            )
            results = request.app.state.vault.search.search(
                caller.principal,
                query,
                filters,
                mode=form["mode"],
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )
        except InvalidInput as exc:
            error = str(exc)
    more = bool(results and len(results.hits) == PAGE_SIZE and page < MAX_PAGES)
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "results": results,
            "error": error,
            "page": page,
            "more": more,
            "modes": mode_labels(),
            "types": type_labels(),
            "layers": layer_labels(),
            "where": where,
            "open_link": open_link,
            "highlight": lambda text: highlight(text, query),
            "page_link": lambda number: _page_link(request, number),
        },
        status=422 if error else 200,
    )


def _page_link(request: Request, number: int) -> str:
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "/search?" + urlencode([*kept, ("page", str(number))])
