"""The routers' path guard (web/app.py) never changes which route a request reaches."""

from __future__ import annotations

import itertools
import re

from starlette.routing import Match

from exhibits.web.app import _Guarded, api_routes


def test_the_guard_exists_for_this_fastapi():
    # It subclasses FastAPI's private _IncludedRouter: a FastAPI without it would lose the
    # guard silently (routing a page read costs ~6x more), so that fails here instead.
    assert _Guarded is not None, "fastapi.routing._IncludedRouter is gone: rework guard_routers"


METHODS = ("GET", "PATCH")  # the guard looks at paths only; one common and one rare method


def _select(app, scope, guarded: bool):
    """What the app's router picks: the first full match, else the first partial one."""
    partial = None
    for route in app.router.routes:
        matches = route.matches if guarded else _Guarded.__base__.matches.__get__(route)
        match, child = matches(dict(scope))
        if match is Match.FULL:
            return "full", route, child.get("route"), child.get("path_params")
        if match is Match.PARTIAL and partial is None:
            partial = ("partial", route, child.get("route"), child.get("path_params"))
    return partial


def _paths(app):
    """Every route's path with its parameters filled in, among others, with every literal
    segment of every route (where patterns overlap)."""
    templates = sorted({path for path, _, _ in api_routes(app)})
    segments = {s for t in templates for s in t.split("/") if s and "{" not in s}
    fillers = ["a" * 32, "42", "x.pdf", "transcript.txt", *sorted(segments)]
    for template in templates:
        names = re.findall(r"{([^}]+)}", template)
        for values in itertools.islice(itertools.product(fillers, repeat=len(names)), 100):
            path = template
            for name, value in zip(names, values, strict=True):
                path = path.replace("{" + name + "}", value, 1)
            yield path
            yield path + "/"
    yield from ("/", "/api", "/api/", "/api/v1", "/api/v1/", "/nowhere", "/api/v1/cases/x/y/z/w/v")


def test_same_route_for_every_path_and_method(app):
    paths = set(_paths(app))
    assert len(paths) > 500
    guarded = [r for r in app.router.routes if type(r) is _Guarded]
    assert guarded, "the guard is in place"
    for path, method in itertools.product(sorted(paths), METHODS):
        scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
        assert _select(app, scope, True) == _select(app, scope, False), (method, path)
