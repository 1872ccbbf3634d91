"""Descriptions and the shop's about text, written in Markdown, rendered to HTML that can do no harm.

markdown-it-py (CommonMark) with raw HTML off: `<script>` or `<img onerror=...>` in a description is
shown as text. Only http(s), mailto and scheme-less links become links (`javascript:`, `data:` and any
other scheme stay text; hypothesis found `<aa:>`), and every link gets `rel="nofollow noopener"`.
Images are off too: the site's CSP only allows its own images, and a creator's cover and previews
already show the book. Rendering is
cached by text, so a page view costs a dictionary lookup.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http:", "https:", "mailto:")


def safe_link(url: str) -> bool:
    """Only web and mail links, or links without a scheme (a path on this site): `javascript:`,
    `data:` and every scheme a browser might hand to some other program stay text."""
    target = url.strip().lower()
    scheme_end = target.find(":")
    if scheme_end == -1 or any(c in target[:scheme_end] for c in "/?#"):
        return True
    return target.startswith(_SAFE_SCHEMES)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = safe_link  # type: ignore[method-assign]
    renderer: Any = md.renderer  # the HTML renderer (its protocol type does not declare `rules`)

    def link_open(tokens: list[Any], idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "nofollow noopener")
        return str(renderer.renderToken(tokens, idx, options, env))

    renderer.rules["link_open"] = link_open
    return md


_MD = _parser()


@lru_cache(maxsize=4096)
def render(text: str) -> str:
    """Safe HTML for a description (an empty text renders as "")."""
    return _MD.render(text) if text.strip() else ""
