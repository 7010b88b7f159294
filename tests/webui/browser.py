"""Browser fixtures: Debian's Chromium through Playwright against the site on real uvicorn.

``site_server`` serves ``create_site(vault)`` on a loopback port; ``browser`` is Chromium
(session-wide); ``phone`` and ``desktop`` are fresh browser contexts; ``axe_check(page)``
runs axe-core (served from tests/webui/node_modules, never fetched) and fails on any WCAG
2.x A/AA violation; ``transfer_budget(page)`` counts the compressed HTML, CSS and JS a page
load moved. In CI (``CI=true``) a missing Chromium or Playwright fails instead of skipping.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BUDGET_TYPES = {"document", "stylesheet", "script"}

# ``browser`` is not exported: tests/conftest.py holds the one instance for the whole run
# (Playwright's sync API allows one per thread, and a second copy of a session fixture
# imported into another conftest would start a second one).
__all__ = [
    "axe_check",
    "browser_sign_in",
    "desktop",
    "phone",
    "screenshot",
    "serve_site",
    "site_server",
    "transfer_budget",
]


def _unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {why}")
    pytest.skip(why)


def serve_site(app) -> tuple[str, object, threading.Thread]:
    """Serve an ASGI app with uvicorn on a loopback port, as ``exhibits serve`` does."""
    import uvicorn

    from tests.web.conftest import free_port

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture
def site_server(site) -> Iterator[str]:
    """The base URL of the site (API and pages) under uvicorn on loopback."""
    url, server, thread = serve_site(site)
    yield url
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser) -> Iterator:
    """A phone-sized browser context (360 x 740, touch)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def desktop(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def axe_check(page, *, exclude: list[str] | None = None) -> None:
    """Run axe-core on the page as it is now; fail listing every WCAG A/AA violation."""
    if not AXE.exists():
        _unavailable(f"{AXE} is missing (npm ci --prefix tests/webui)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the test driver: the page's CSP stays strict
    result = page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length ? {exclude: exclude.map(s => [s])} : document;
            const r = await axe.run(context, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
        }""",
        [WCAG_AA, exclude or []],
    )
    assert result == [], f"axe found WCAG A/AA violations on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in result
    )


class TransferBudget:
    """Compressed bytes of HTML, CSS and JavaScript moved over the network (media excluded)."""

    def __init__(self, page) -> None:
        self.requests: list = []
        page.on("requestfinished", self._finished)

    def _finished(self, request) -> None:
        if request.resource_type in BUDGET_TYPES:
            self.requests.append(request)

    def reset(self) -> None:
        self.requests.clear()

    @property
    def total(self) -> int:
        total = 0
        for request in self.requests:
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return total

    def detail(self) -> str:
        return ", ".join(
            f"{r.url.rsplit('/', 1)[-1] or '/'}={r.sizes()['responseBodySize']}" for r in self.requests
        )


def transfer_budget(page) -> TransferBudget:
    return TransferBudget(page)


def browser_sign_in(page, base_url: str, collar: str, password: str | None = None) -> None:
    """Sign in through the form as ``collar`` (password: the test users' one)."""
    from tests.conftest import ADMIN_PASSWORD

    page.goto(base_url + "/signin")
    page.get_by_label("Collar number").fill(collar)
    page.get_by_label("Password").fill(password or ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def screenshot(page, name: str) -> None:
    """Save the page for the documentation when ``EXHIBITS_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("EXHIBITS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)
