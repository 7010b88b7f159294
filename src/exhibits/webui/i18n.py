"""gettext for the pages: every string goes through ``_()`` so a force can run in Welsh.

The language is chosen per request (``?lang=``, then the ``exhibits_lang`` cookie, then
Accept-Language) and held in a context variable, so templates and Python code share it.
Packages add their own catalogues with ``register_catalogue`` (e.g. the public portal).
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "exhibits_lang"
HERE_LOCALE = Path(__file__).parent / "locale"

_catalogues: list[tuple[str, str]] = [(str(HERE_LOCALE), "messages")]
_current: ContextVar[str] = ContextVar("exhibits_webui_language", default=DEFAULT_LANGUAGE)


def register_catalogue(localedir: str | Path, domain: str = "messages") -> None:
    """Add a package's compiled catalogues (``<localedir>/<lang>/LC_MESSAGES/<domain>.mo``)."""
    entry = (str(localedir), domain)
    if entry not in _catalogues:
        _catalogues.append(entry)
        translations.cache_clear()


@cache
def translations(language: str) -> _gettext.NullTranslations:
    merged: _gettext.NullTranslations | None = None
    for localedir, domain in _catalogues:
        found = _gettext.translation(domain, localedir, languages=[language], fallback=True)
        if merged is None:
            merged = found
        elif found is not merged:
            merged.add_fallback(found)
    return merged or _gettext.NullTranslations()


def choose_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext
