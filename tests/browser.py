"""Launching the real Chromium for browser tests (web and payments share it).

One place for Debian's binary and the flags the team agreed on, so every browser test runs the same
browser the same way; a missing binary fails loudly (it is a setup bug), a missing Playwright skips.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Playwright `Browser` on Debian's Chromium, closed afterwards."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


AXE = Path(__file__).resolve().parents[1] / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (its context needs `bypass_csp=True`:
    the site's CSP forbids scripts, so axe is injected through the browser itself)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-test` installs axe-core with npm")
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    found: list[dict[str, Any]] = json.loads(result)["violations"]
    return [v for v in found if v["impact"] in ("serious", "critical")]


#: The two viewports the payment flows are checked at.
PAGE_SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def shoot_and_check(page: Any, name: str, shots: Path, problems: dict[str, list[str]]) -> None:
    """A full-page screenshot into `shots`, and axe-core's serious or critical violations (none
    expected) collected under `name`."""
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    for v in axe_violations(page):
        problems.setdefault(name, []).append(f"{v['id']}: {v['help']}")
