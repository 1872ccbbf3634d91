"""The creator's stylesheet in real Chromium against a real `paidpdf serve`: the site's CSP (unchanged)
lets it apply, its rules win over ours, its `data:` image loads, and the page asks no other host for
anything. What is refused and how it is stored: test_custom_css_check.py, test_custom_css.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paidpdf.content import shop
from paidpdf.store import Store
from tests.browser import chromium
from tests.web.site import Served

#: A 1×1 PNG.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
LOOK = f"""
.brand {{ letter-spacing: 7px }}
.nav .brand {{ color: rgb(1, 2, 3) }}
body {{ background-image: url(data:image/png;base64,{PIXEL}) }}
"""


@pytest.mark.browser
def test_the_stylesheet_applies_under_the_csp_and_fetches_nothing_elsewhere(
    served: Served, tmp_path: Path
) -> None:
    look = tmp_path / "look.css"
    look.write_text(LOOK, encoding="utf-8")
    shop.set_identity(Store(served.data_dir), css=look)  # the running server sees it on its next page
    requests: list[str] = []
    messages: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: messages.append(m.text))
        answer = page.goto(served.url + "/")
        assert answer is not None and answer.ok
        style: Any = page.evaluate(
            "() => { const b = getComputedStyle(document.querySelector('.brand'));"
            " return [b.letterSpacing, b.color, getComputedStyle(document.body).backgroundImage]; }"
        )
    assert style[0] == "7px" and style[1] == "rgb(1, 2, 3)"  # ours: the same selector; the later wins
    assert style[2].startswith('url("data:image/png')
    assert any("/shop/custom-" in url for url in requests)
    assert all(url.startswith((served.url, "data:")) for url in requests), requests
    assert not [m for m in messages if "Content Security Policy" in m], messages
