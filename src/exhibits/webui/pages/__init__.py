"""Page modules: every module in this package with a ``router`` (an ``APIRouter`` of HTML
routes) is part of the web app; other packages add theirs through ``exhibits_pages(site)``."""

from __future__ import annotations

import importlib
import pkgutil


def core_routers() -> list:
    routers = []
    for found in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{found.name}")
        if hasattr(module, "router"):
            routers.append(module.router)
    return routers
