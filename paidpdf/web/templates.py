"""The Jinja2 environment and the fingerprint of the static files its pages link to."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
from markupsafe import Markup

from paidpdf.byte_sizes import human_size
from paidpdf.content import custom_css, item_files, markdown_text
from paidpdf.money import format_amount, format_offer

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def make_templates(*, tax_note: str | None = None) -> jinja2.Environment:
    """Jinja2 with autoescape on for every template (user text is never markup). `tax_note`: the
    prices' tax behaviour the shop shows next to them (`_tax_note.html`), None when tax is off."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["format_amount"] = format_amount
    env.globals["format_offer"] = format_offer
    env.filters["human_size"] = human_size
    env.filters["duration"] = duration
    env.globals["files_of"] = item_files.files_of
    env.globals["custom_css_url"] = custom_css.url_of
    env.filters["markdown"] = render_markdown
    env.globals["tax_note"] = tax_note
    return env


def duration(milliseconds: int | None) -> str:
    """A length for people: 3723000 -> "1:02:03", 95000 -> "1:35"."""
    seconds = int(milliseconds or 0) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def render_markdown(text: str | None) -> Markup:
    """Markdown as HTML that is safe to show as it is (raw HTML off, links checked, see
    `content.markdown_text`), so templates do not escape it again."""
    return Markup(markdown_text.render(text or ""))  # noqa: S704 - escaped by the renderer itself


def static_version() -> str:
    """A hash of the static files: links carry it, so a changed stylesheet gets a new URL."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
