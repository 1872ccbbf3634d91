"""Descriptions in Markdown render as formatting, and hostile Markdown renders inert."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paidpdf.content import catalog, demo, markdown_text
from tests.web.site import Site

HOSTILE = """# Field notes

**Bold** and *soft*, a [good link](https://example.com/a) and a [mail](mailto:me@example.com).

<script>alert(1)</script>
[click](javascript:alert(2)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox)
<img src=x onerror="alert(3)"> ![pic](https://example.com/p.png "t")
<a href="https://evil.example" onclick="alert(4)">raw link</a>
<iframe src="https://evil.example"></iframe>
"""

ALLOWED_TAGS = {"p", "strong", "em", "a", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "code",
                "pre", "blockquote", "hr", "br"}


def _inert(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name in ALLOWED_TAGS, tag
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
        if tag.name == "a":
            href = tag["href"]
            assert href.startswith(("https://", "http://", "mailto:", "/", "#")) or ":" not in href
            assert tag["rel"] == ["nofollow", "noopener"]


def test_a_hostile_description_renders_inert_on_the_item_page(site: Site, tmp_path: Path) -> None:
    pdf = demo.make_sample_pdfs(tmp_path)[0]
    catalog.add_item(site.store, pdf, title="Hostile", price_text="0", currency="usd", item_id="hostile",
                     description=HOSTILE)
    page = site.app.get("/content/hostile")
    body = page.html.find("div", class_="description")
    _inert(str(body.decode_contents()))
    assert body.find("strong").text == "Bold" and body.find("h1").text == "Field notes"
    links = {a.text: a["href"] for a in body.find_all("a")}
    assert links == {  # an image becomes a plain link to it (the CSP shows only the shop's own images)
        "good link": "https://example.com/a", "mail": "mailto:me@example.com", "pic": "https://example.com/p.png"
    }
    assert "alert(1)" in body.text  # shown as text, not run
    assert [s.get("type") for s in page.html.find_all("script")] == ["application/ld+json"]  # data only
    assert page.html.find("iframe") is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:[]()!*#` \nabcjsvx-onerrorscriptjavascript")),
               max_size=120))
@example("<aa:>")  # an autolink with a made-up scheme (found by this test)
@example("<javascript:alert(1)>")
def test_any_markdown_renders_to_allowed_tags_only(text: str) -> None:
    _inert(markdown_text.render(text))
