"""The creator's own stylesheet (`shop set --css`): checked before it is stored, stored on both backends,
served at a hashed URL after the site's own stylesheet, shown on the next page (the anonymous page
caches included), an old URL a 404. The checker's rules one by one: tests/catalog/test_custom_css_check.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import Result

from paidpdf.content.custom_css_check import MAX_BYTES
from tests.web.site import PAID, Site

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

GOOD = ".brand { letter-spacing: .05em }\nbody { background: url(/static/favicon.svg) no-repeat }\n"
OTHER = "@media (min-width: 40em) { .main { max-width: 60rem } }\n"


def _set(site: Site, tmp_path: Path, text: str | bytes, name: str = "look.css") -> Result:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    result: Result = site.cli("shop", "set", "--css", str(path))
    return result


def _stylesheets(site: Site, path: str) -> list[str]:
    page = site.app.get(path)
    return [link["href"] for link in page.html.find_all("link", rel="stylesheet")]


def test_a_stylesheet_is_served_at_its_hash_after_ours_on_the_next_page(site: Site, tmp_path: Path) -> None:
    item = f"/content/{PAID}"
    before = _stylesheets(site, "/"), _stylesheets(site, item)  # anonymous: both pages are now cached
    assert all(not href.startswith("/shop/") for hrefs in before for href in hrefs)
    done = _set(site, tmp_path, GOOD)
    assert done.exit_code == 0, done.output
    digest = hashlib.sha256(GOOD.encode()).hexdigest()
    url = f"/shop/custom-{digest[:16]}.css"
    for path in ("/", item):  # the cached pages were dropped with the catalog's version
        links = _stylesheets(site, path)
        assert links[0].startswith("/static/site.css") and links[1].startswith("/shop.css")
        assert links[-1] == url and len(links) == 3
    catalog = site.store.view("catalog")
    assert "css" not in (catalog.get("shop", "identity") or {})  # every page reads the identity: not 64 KB
    assert (catalog.get("shop", "stylesheet") or {})["css"] == GOOD
    served = site.app.get(url)
    assert served.body == GOOD.encode()
    assert served.headers["Content-Type"] == "text/css; charset=utf-8"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "style-src 'self'" in served.headers["Content-Security-Policy"]  # the CSP is unchanged
    shown = json.loads(site.cli("shop", "show", "--json").stdout)
    assert shown["css_sha256"] == digest and shown["css_bytes"] == len(GOOD.encode())
    assert "css" not in shown  # the body is served, not printed
    assert url in site.cli("shop", "show").stdout


def test_a_new_stylesheet_is_a_new_url_and_no_css_removes_it(site: Site, tmp_path: Path) -> None:
    assert _set(site, tmp_path, GOOD).exit_code == 0
    first = _stylesheets(site, "/")[-1]
    assert _set(site, tmp_path, OTHER, "other.css").exit_code == 0
    second = _stylesheets(site, "/")[-1]
    assert second != first and second.startswith("/shop/custom-")
    assert site.app.get(second).text == OTHER
    site.app.get(first, status=404)  # an old hash is gone at once
    for wrong in ("/shop/custom-0123456789abcdef.css", "/shop/custom-.css", "/shop/x.css", second[:-4]):
        site.app.get(wrong, status=404)
    removed = site.cli("shop", "set", "--no-css")
    assert removed.exit_code == 0, removed.output
    assert not any(h.startswith("/shop/") for h in _stylesheets(site, f"/content/{PAID}"))
    site.app.get(second, status=404)
    assert site.store.view("catalog").get("shop", "stylesheet") is None
    shown = json.loads(site.cli("shop", "show", "--json").stdout)
    assert shown["css_sha256"] is None and shown["css_bytes"] is None


def test_a_refused_stylesheet_is_one_line_and_changes_nothing(site: Site, tmp_path: Path) -> None:
    assert _set(site, tmp_path, GOOD).exit_code == 0
    linked = _stylesheets(site, "/")[-1]
    before = site.written("catalog")
    cases: list[tuple[str | bytes, str]] = [
        ("a { background: url(https://evil.example/x) }", "bad.css:1:17: url(https://evil.example/x)"),
        ("@import 'x.css';", "bad.css:1:1: @import is not allowed"),
        ("p{}\n  @import url(/static/site.css);", "bad.css:2:3: @import"),
        ("a { b: u\\rl(//evil.example/x) }", "bad.css:1:8: url(//evil.example/x)"),
        ("A { B: URL('HTTPS://EVIL.EXAMPLE/X') }", "bad.css:1:12: url(HTTPS://EVIL.EXAMPLE/X)"),
        ('a { b: image-set("https://evil.example/x.png" 1x) }', "bad.css:1:18: url(https://evil.example"),
        ("@font-face { font-family: F; src: url(//evil.example/f.woff) }", "bad.css:1:35: url(//evil"),
        ("a { color }", "bad.css:1:10: CSS syntax error"),
        (b"a { content: '\xff' }", "bad.css:1:15: not UTF-8"),
        (b"/*" + b"x" * MAX_BYTES + b"*/", "at most 65,536"),
    ]
    for text, expected in cases:
        result = _set(site, tmp_path, text, "bad.css")
        assert result.exit_code != 0, text
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (text, result.stderr)
        assert "Traceback" not in result.output
    both = ("--css", str(tmp_path / "look.css"), "--no-css")
    for args, expected in ((both, "choose one of --css and --no-css"),
                           (("--css", str(tmp_path / "missing.css")), "does not exist")):
        result = site.cli("shop", "set", *args)
        assert result.exit_code != 0 and expected in result.stderr.strip(), result.stderr
    assert site.written("catalog") == before
    assert _stylesheets(site, "/")[-1] == linked


def test_a_stylesheet_of_exactly_64_kb_is_accepted(site: Site, tmp_path: Path) -> None:
    rule = "a { color: red }\n"
    text = "/*" + "x" * (MAX_BYTES - len(rule) - 4) + "*/" + rule
    assert len(text.encode()) == MAX_BYTES
    done = _set(site, tmp_path, text)
    assert done.exit_code == 0, done.output
    assert site.app.get(_stylesheets(site, "/")[-1]).text == text
