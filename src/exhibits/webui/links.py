"""Links other page modules add to shared pages (e.g. a case's forms, search, retention), so
the case page needs no edit when a capability's pages land."""

from __future__ import annotations

from dataclasses import dataclass

from exhibits.webui.i18n import gettext


@dataclass(frozen=True)
class Link:
    label: str  # an English message id, translated when shown
    path: str  # may contain {case_id}


_CASE_LINKS: list[Link] = []


def add_case_link(label: str, path: str) -> None:
    """Show a button on every case page (``path`` like ``/cases/{case_id}/casefile``)."""
    link = Link(label, path)
    if link not in _CASE_LINKS:
        _CASE_LINKS.append(link)


def case_links(case_id: str) -> list[dict[str, str]]:
    return [{"label": gettext(link.label), "href": link.path.format(case_id=case_id)} for link in _CASE_LINKS]
