"""Catalog rules that need no shop: slugs, ids, description files, download names (so they run once,
outside the BOTH_BACKENDS modules that hold the shop tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paidpdf.content import catalog
from paidpdf.errors import InvalidInput

ID_RE = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Sourdough at Home", "sourdough-at-home"),
        ("  The   Guide  ", "the-guide"),
        ("Café Crème: L'été à Paris", "cafe-creme-l-ete-a-paris"),
        ("Straße & Co.", "strasse-and-co"),
        ("Ærø Øst Łódź", "aero-ost-lodz"),
        ("C++ in 21 Days!!", "c-in-21-days"),
        ("ﬁne ＷＩＤＥ", "fine-wide"),
        ("日本語の本", ""),
        ("Kyoto 京都 Guide", "kyoto-guide"),
        ("---", ""),
    ],
)
def test_slugs(title: str, slug: str) -> None:
    assert catalog.slugify(title) == slug


def test_long_titles_are_cut_at_a_word() -> None:
    slug = catalog.slugify("A Very Long Title " * 10)
    assert len(slug) <= 64 and ID_RE.match(slug)
    full = "-".join(["a-very-long-title"] * 10)
    assert full.startswith(slug + "-")  # whole words only
    assert len(slug) > 50


@given(st.text(max_size=300))
def test_any_title_gives_a_url_safe_slug_or_none(title: str) -> None:
    slug = catalog.slugify(title)
    assert slug == "" or ID_RE.match(slug)
    assert catalog.slugify(slug) == slug


@pytest.mark.parametrize("bad", ["../etc", "a b", "-x", "x-", "a" * 65, "", "über", "a_b", "a.pdf", "a/b"])
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="invalid id"):
        catalog.check_id(bad)


def test_description_files_must_be_utf8(files: Path) -> None:
    good = files / "d.txt"
    good.write_bytes("\ufeffCafé — naïve\n".encode())
    assert catalog.read_description_file(good) == "Café — naïve"
    bad = files / "latin1.txt"
    bad.write_bytes("Café".encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        catalog.read_description_file(bad)
    binary = files / "bin.txt"
    binary.write_bytes(b"abc\x00def")
    with pytest.raises(InvalidInput, match="control characters"):
        catalog.read_description_file(binary)


def test_download_names_cannot_break_a_header() -> None:
    assert catalog.download_name("My Book (2nd ed).pdf", "x") == "My Book (2nd ed).pdf"
    assert catalog.download_name("evil\r\nSet-Cookie: a=b.pdf", "x") == "evil Set-Cookie: a=b.pdf"
    assert catalog.download_name("\x00\x1b", "my-book") == "my-book.pdf"
    long = catalog.download_name("a" * 500 + ".pdf", "x")
    assert len(long) == catalog.MAX_TITLE and long.endswith(".pdf")
