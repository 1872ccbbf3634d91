"""The languages the reader site and its mails speak, and their gettext catalogs.

English is the source language (the msgids); German, French and Spanish have catalogs in
`paidpdf/locales/<lang>/LC_MESSAGES/messages.po`. The `.po` files are the only thing shipped: each is
compiled in memory with Babel the first time its language is asked for (`translations`), so a fresh
clone works with `pip install -e .` and no build step, and a translator's edit can never be shadowed
by a stale `.mo`. A compiled catalog is read-only and shared; which one applies is never global
state: the caller picks it per request or per mail and hands it along.

`docs/languages.md` says how the language is chosen and how to add one.
"""

from __future__ import annotations

import functools
import io
import threading
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from paidpdf.errors import InvalidInput

#: The source language: its "translation" is the msgid itself.
SOURCE = "en"
#: Every language the site speaks, in the order the selector lists them.
LOCALES = ("en", "de", "fr", "es")
#: What the selector shows: each language in its own name.
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
#: Longest Accept-Language header read (a client chooses it; nothing longer is parsed).
MAX_HEADER = 500

_lock = threading.Lock()
#: Compiled catalogs by language, read without the lock once filled (`translations`).
_ready: dict[str, Translations] = {}


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


def check_locale(text: str) -> str:
    """A language code the site speaks ("de", "DE", "de-DE" -> "de"), or `InvalidInput` naming them."""
    code = text.strip().replace("_", "-").split("-", 1)[0].lower()
    if code not in LOCALES:
        raise InvalidInput(f"unknown language {text.strip()[:20]!r}: use one of {', '.join(LOCALES)}")
    return code


def known(text: str | None) -> str | None:
    """`check_locale` for values read from a request or a document: None instead of an error."""
    if not text:
        return None
    try:
        return check_locale(text)
    except InvalidInput:
        return None


def translations(locale: str | None) -> NullTranslations:
    """The catalog for `locale` (the source language's is a pass-through), compiled once per process."""
    code = known(locale) or SOURCE
    if code == SOURCE:
        return _source()
    found = _ready.get(code)  # after the first compile: no lock on the request path
    if found is None:
        with _lock:  # one compile per language even when the first requests arrive together
            found = _ready[code] = _compiled(code)
    return found


@functools.cache
def _source() -> NullTranslations:
    return NullTranslations()


@functools.cache
def _compiled(code: str) -> Translations:
    path = LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def po_path(code: str) -> Path:
    """Where the catalog of `code` lives (for tests and `make messages`)."""
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def negotiate(accept_language: str | None) -> str | None:
    """The best language of ours for an `Accept-Language` header (RFC 9110 q-values), or None."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip().replace("_", "-")
        if tag and tag != "*" and quality > 0:
            wanted.append((-quality, position, tag))
    preferred = [tag for _, _, tag in sorted(wanted)]
    found = negotiate_locale(preferred, list(LOCALES), sep="-")
    return known(found)


def display_name(code: str) -> str:
    """The language's own name for itself ("Deutsch"), for the selector and `shop show`."""
    try:
        return NATIVE_NAMES.get(code) or str(Locale.parse(code).display_name)
    except (UnknownLocaleError, ValueError):
        return code
