"""The shipped catalogs are complete: every message of the code and templates, freshly extracted the
way `make messages` does, has a reviewed (non-empty, non-fuzzy) translation in every language, with
the same placeholders, and nothing stale is kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from paidpdf import languages

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in languages.LOCALES if code != languages.SOURCE]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")


def _catalog(code: str) -> Catalog:
    with languages.po_path(code).open("rb") as po:
        return read_po(po, locale=code)


def _ids(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(message_id) if isinstance(message_id, (list, tuple)) else (message_id,)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages of the code and templates now, extracted exactly as `make messages` does."""
    out = tmp_path_factory.mktemp("extract") / "messages.pot"
    done = subprocess.run(
        [sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract",
         "-F", "babel.cfg", "-k", "N_", "--no-location", "--omit-header", "-o", str(out), "paidpdf"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    with out.open("rb") as pot:
        return read_po(pot)


def test_the_site_speaks_english_german_french_and_spanish() -> None:
    assert languages.LOCALES == ("en", "de", "fr", "es")
    for code in TRANSLATED:
        assert languages.po_path(code).is_file(), code


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_extracted_message_is_in_the_catalog_and_nothing_stale(fresh: Catalog, code: str) -> None:
    wanted = {_ids(m.id) for m in fresh if m.id}
    shipped = {_ids(m.id) for m in _catalog(code) if m.id}
    assert len(wanted) > 300  # the extraction found the site's messages (a broken babel.cfg finds none)
    assert sorted(wanted - shipped) == [], f"untranslated in {code}: run `make messages` and translate"
    assert sorted(shipped - wanted) == [], f"stale in {code}: run `make messages`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_translation_is_empty_fuzzy_or_loses_a_placeholder(code: str) -> None:
    catalog = _catalog(code)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = _ids(message.id)
        strings = _ids(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        forms = catalog.num_plurals if len(ids) > 1 else 1  # French and Spanish have a "many" form
        if not all(s.strip() for s in strings) or len(strings) != forms:
            problems.append(f"empty: {ids[0]!r}")
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in strings:
            found = set(PLACEHOLDER.findall(text))
            # a singular may leave out the count ("ein Tag"); nothing may be invented or lost otherwise
            if found - wanted or (len(ids) == 1 and found != wanted):
                problems.append(f"placeholders {sorted(found)} for {sorted(wanted)}: {ids[0]!r}")
        if ids[0].endswith("\n") != strings[0].endswith("\n"):
            problems.append(f"line ending differs: {ids[0]!r}")
    assert problems == []
    assert list(catalog.check()) == []  # Babel's own checks (python-format, plural counts)


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_catalog_compiles_and_translates(code: str) -> None:
    """Compiled in memory from the .po (no .mo in the package): a fresh clone works as installed."""
    t = languages.translations(code)
    expected = {"de": "Meine Bibliothek", "fr": "Ma bibliothèque", "es": "Mi biblioteca"}[code]
    assert t.gettext("My library") == expected
    plural = {"de": "2 Seiten", "fr": "2 pages", "es": "2 páginas"}[code]
    assert t.ngettext("%(count)s page", "%(count)s pages", 2) % {"count": 2} == plural
    assert t.ngettext("%(count)s chapter", "%(count)s chapters", 1) % {"count": 1} == {
        "de": "1 Kapitel", "fr": "1 chapitre", "es": "1 capítulo"}[code]
    assert not list(languages.LOCALES_DIR.rglob("*.mo"))


def test_accept_language_is_negotiated_by_quality_then_order() -> None:
    assert languages.negotiate("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == "fr"
    assert languages.negotiate("de-DE,de;q=0.9") == "de"
    assert languages.negotiate("en;q=0.2, es;q=0.9") == "es"
    assert languages.negotiate("ja, zh-CN") is None
    assert languages.negotiate("de;q=0, it") is None
    assert languages.negotiate("x" * 5000) is None
    assert languages.negotiate(None) is None
    assert languages.check_locale("DE") == "de" and languages.check_locale("es_ES") == "es"


def test_every_language_the_shop_speaks_is_one_stripes_hosted_pages_take() -> None:
    """Checkout and the customer portal get the reader's language as `locale` (`checkout_locale`):
    each must be one of Stripe's values, or Stripe refuses the session (the stand-in does too)."""
    from paidpdf.sales import checkout_locale
    from paidpdf.stripe_local.page_locales import LOCALES, PORTAL_LOCALES

    for code in languages.LOCALES:
        assert checkout_locale.session_params(code) == {"locale": code}
        assert code in LOCALES and code in PORTAL_LOCALES, code
    assert checkout_locale.session_params("xx") == {} and checkout_locale.session_params(None) == {}
