"""First contentful paint of a case page with 50 exhibits, in Debian's Chromium against
``exhibits serve`` on loopback: median of 10 warm loads (the static files cached, as on a
second visit). Target: under 300 ms.

    .venv/bin/python bench/web_fcp.py
    .venv/bin/python bench/web_fcp.py --loads 20 --exhibits 50
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PASSWORD, make_vault, python, scratch, serving

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FCP = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--exhibits", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from exhibits.evidence.service import IngestRequest

    root = scratch()
    try:
        vault, officer, case, _token = make_vault(root)
        for n in range(args.exhibits):
            vault.evidence.ingest_stream(
                officer, io.BytesIO(f"witness note {n}\n".encode()), f"note-{n:02d}.txt",
                IngestRequest(case=case.id, producer="PC 1234 Jane Smith", source="document"),
            )  # fmt: skip
        vault.close()
        env = {"EXHIBITS_VAULT": str(root / "vault")}
        command = [python(), "-m", "exhibits", "serve", "--no-workers", "--log-level", "warning"]
        with serving(command, env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
            page.goto(base + "/signin")
            page.get_by_label("Collar number").fill("1234")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/")
            url = f"{base}/cases/{case.id}"
            page.goto(url)  # warm: static files cached, server paths loaded
            assert page.locator(".card").count() == args.exhibits, "the case page did not list every exhibit"
            paints = []
            for _ in range(args.loads):
                page.goto(url, wait_until="load")
                page.wait_for_function(FCP + " !== null")
                paints.append(page.evaluate(FCP))
            browser.close()
        median = statistics.median(paints)
        print(f"case page with {args.exhibits} exhibits, {args.loads} warm loads in Chromium (360x740)")
        print(
            f"  first contentful paint: median {median:.0f} ms, min {min(paints):.0f}, max {max(paints):.0f}"
        )
        print(f"  target under 300 ms: {'met' if median < 300 else 'NOT met'}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
