"""The portal's part of tests/web/test_authorisation.py: every portal route has its row there
and every portal row names a route (checked here on its own, whatever other capabilities do)."""

from __future__ import annotations

from exhibits.web.app import api_routes
from tests.portal.authorisation import rows


class Row:
    def __init__(self, method, path, allowed, build, consults=0):
        self.method, self.path = method, path


def test_every_portal_route_has_a_row(app):
    declared = {
        (m, p) for p, methods, _ in api_routes(app) for m in methods if p.startswith("/api/v1/portal")
    }
    tabled = {(row.method, row.path) for row in rows(Row, "/api/v1")}
    assert declared == tabled
