"""The Jinja2 environment and the fingerprint of the static files its pages link to.

Pages are translated with Jinja2's i18n extension (`{% trans %}`, `_()`): its gettext callables read
the catalog from the render context (`i18n`, put there by `WebContext.render` and the catalog cache),
so each render uses its own reader's language and nothing is shared between threads. Money, dates and
sizes are formatted for the context's `locale` the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
from babel.support import NullTranslations
from jinja2.runtime import Context
from markupsafe import Markup

from paidpdf import languages, local_formats
from paidpdf.content import custom_css, item_files, markdown_text
from paidpdf.money import format_amount

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


class _CompiledTemplates(jinja2.BytecodeCache):
    """The templates' compiled code, kept for the process: every environment `make_templates` makes
    has the same settings (only globals differ, and compiled code looks globals up when it renders),
    so a second site in one process (each test builds its own) reuses the first one's code instead of
    parsing and compiling every template again, which was a sixth of a web test's time. Jinja2 checks
    each template's source against the code's checksum, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def make_templates(*, tax_note: str | None = None) -> jinja2.Environment:
    """Jinja2 with autoescape on for every template (user text is never markup). `tax_note`: the
    prices' tax behaviour the shop shows next to them (`_tax_note.html`), None when tax is off."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        bytecode_cache=_COMPILED,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # msgids without the template's line breaks and indents
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["format_amount"] = money
    env.globals["format_offer"] = offer
    env.filters["human_size"] = size
    env.filters["day"] = day
    env.filters["number"] = number
    env.filters["translated"] = translated
    env.filters["duration"] = duration
    env.globals["files_of"] = item_files.files_of
    env.globals["custom_css_url"] = custom_css.url_of
    env.filters["markdown"] = render_markdown
    env.globals["tax_note"] = tax_note
    return env


def catalog_of(context: Context) -> NullTranslations:
    """The render's catalog: English when a template is rendered without one (e.g. by a test)."""
    found = context.get("i18n")
    return found if isinstance(found, NullTranslations) else languages.translations(None)


def locale_of(context: Context) -> str:
    return str(context.get("locale") or languages.SOURCE)


@jinja2.pass_context
def _gettext(context: Context, message: str) -> str:
    return catalog_of(context).gettext(message)


@jinja2.pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return catalog_of(context).ngettext(singular, plural, count)


@jinja2.pass_context
def translated(context: Context, message: str | None) -> str:
    """A message made in Python (a domain error, a flash, a sort label) in the render's language;
    one the catalogs do not know is shown as it is. No %-formatting, unlike `_()`."""
    return catalog_of(context).gettext(str(message or "")) if message else ""


@jinja2.pass_context
def money(context: Context, amount: int, currency: str) -> str:
    """An amount in the reader's language; 0 is "Free" in it."""
    if not amount:
        return catalog_of(context).gettext("Free")
    return format_amount(int(amount), currency, locale_of(context))


@jinja2.pass_context
def offer(context: Context, amount: int, currency: str, pay_what_you_want: bool) -> str:
    """An item's price as shown: "$19.99", "Free", "$5.00 or more", "Free, or pay what you want"."""
    t = catalog_of(context)
    if not pay_what_you_want:
        return money(context, amount, currency)
    if not amount:
        return t.gettext("Free, or pay what you want")
    return t.gettext("{amount} or more").format(amount=money(context, amount, currency))


@jinja2.pass_context
def size(context: Context, value: int | None) -> str:
    return local_formats.size(value, locale_of(context))


@jinja2.pass_context
def day(context: Context, value: str | None) -> str:
    return local_formats.day(value, locale_of(context))


@jinja2.pass_context
def number(context: Context, value: int) -> str:
    return local_formats.number(value, locale_of(context))


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
