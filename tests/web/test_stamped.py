"""Stamped downloads: a 300-page PDF with bookmarks and links, stamped per owner, checked with pypdf
and PDFium; resumes join byte for byte; `orders trace` names the owner and refuses forgeries."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from paidpdf.content import catalog, stamping
from paidpdf.content.item_options import set_options
from paidpdf.errors import InvalidInput
from paidpdf.ownership import library
from tests.catalog.files import encrypted_pdf
from tests.web.site import Site, logged_in

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

STAMPED = "stamped-book"
URL = f"/content/{STAMPED}/download"


def book(pages: int = 300) -> bytes:
    """A real book: a bookmark per chapter, a link back to page 1 on every later page. Lines are
    wrapped here, not by fpdf2's `multi_cell`, whose line breaking took 9 s for the 300 pages (1.3 s)."""
    pdf = FPDF(format=(148, 210))
    pdf.set_title("The Stamped Book")
    pdf.set_author("A. Writer")
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        pdf.start_section(f"Chapter {number}")
        for line in textwrap.wrap(f"Page {number}. " + "Words on a page. " * 25, 55):
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        if number > 1:
            pdf.cell(40, 8, "Back to the start", link=pdf.add_link(page=1))
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def book_bytes() -> bytes:
    return book()


@pytest.fixture
def stamped(site: Site, tmp_path: Path, book_bytes: bytes) -> bytes:
    path = tmp_path / "stamped-book.pdf"
    path.write_bytes(book_bytes)
    catalog.add_item(
        site.store, path, title="The Stamped Book", price_text="12", currency="usd", item_id=STAMPED
    )
    for email in ("owner@example.com", "reader@example.com"):
        library.grant(site.store, site.user(email)["id"], STAMPED)
    set_options(site.store, STAMPED, stamp=True)
    return book_bytes


def test_every_page_names_the_owner_and_nothing_else_changes(site: Site, stamped: bytes) -> None:
    app = logged_in(site, "owner")
    got = app.get(URL).body
    assert got.startswith(stamped) and len(got) - len(stamped) < 200_000
    original, copy = PdfReader(io.BytesIO(stamped)), PdfReader(io.BytesIO(got))
    assert len(copy.pages) == len(original.pages) == 300
    owner = site.user("owner@example.com")
    ident = stamping.identifier(site.store, owner["id"], 1)
    for number, page in enumerate(copy.pages):
        text = page.extract_text()
        assert "Licensed to owner@example.com" in text and ident in text, number
        assert f"Page {number + 1}." in text  # the page's own text is still there
    assert len(copy.outline) == len(original.outline) == 300
    assert [o.title for o in copy.outline][:3] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    links = [a.get_object() for a in copy.pages[5].get("/Annots", [])]
    assert any(a.get("/Subtype") == "/Link" for a in links)
    assert copy.metadata == original.metadata and copy.metadata.title == "The Stamped Book"
    rendered = pdfium.PdfDocument(got)
    assert len(rendered) == 300
    assert "Licensed to owner@example.com" in rendered[299].get_textpage().get_text_range()


def test_each_owner_has_a_stable_copy_and_resumes_join(site: Site, stamped: bytes) -> None:
    app = logged_in(site, "owner")
    whole = app.get(URL)
    again = app.get(URL)
    assert whole.body == again.body and whole.headers["ETag"] == again.headers["ETag"]
    size = len(whole.body)
    assert int(whole.headers["Content-Length"]) == size
    app.get(URL, headers={"If-None-Match": whole.headers["ETag"]}, status=304)
    for cut in (1000, len(stamped) - 7, len(stamped), len(stamped) + 500):  # in the original, at, in the tail
        first = app.get(URL, headers={"Range": f"bytes=0-{cut - 1}"}, status=206).body
        rest = app.get(URL, headers={"Range": f"bytes={cut}-", "If-Range": whole.headers["ETag"]}, status=206)
        assert rest.headers["Content-Range"] == f"bytes {cut}-{size - 1}/{size}"
        assert first + rest.body == whole.body
    app.get(URL, headers={"Range": f"bytes={size}-"}, status=416)
    stale = app.get(URL, headers={"Range": "bytes=10-", "If-Range": '"other"'})
    assert stale.status_int == 200 and stale.body == whole.body
    other = logged_in(site, "reader").get(URL)
    assert len(other.body) == size and other.headers["ETag"] != whole.headers["ETag"]
    assert b"reader@example.com" not in whole.body and other.body != whole.body


def test_trace_names_the_owner_and_refuses_forgeries(site: Site, stamped: bytes, tmp_path: Path) -> None:
    leaked = tmp_path / "found-online.pdf"
    leaked.write_bytes(logged_in(site, "reader").get(URL).body)
    out = site.cli("orders", "trace", str(leaked), "--json")
    assert out.exit_code == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["buyer"] == "reader@example.com" and shown["order"] is None and shown["version"] == 1

    owner = site.user("owner@example.com")
    forged_id = stamping.identifier(site.store, owner["id"], 1)[:-4] + "0000"
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(
        leaked.read_bytes().replace(
            stamping.stamp_text(
                "reader@example.com",
                None,
                stamping.identifier(site.store, site.user("reader@example.com")["id"], 1),
            )
            .hex()
            .encode(),
            stamping.stamp_text("owner@example.com", None, forged_id).hex().encode(),
        )
    )
    refused = site.cli("orders", "trace", str(forged))
    assert (
        refused.exit_code == 3
        and "did not make" in refused.stderr
        and "owner@example.com" not in refused.stdout
    )
    clean = tmp_path / "clean.pdf"
    clean.write_bytes(stamped)
    plain = site.cli("orders", "trace", str(clean))
    assert plain.exit_code == 3 and "carries no stamp of this shop" in plain.stderr
    assert "Traceback" not in refused.stderr + plain.stderr


def test_a_free_item_is_stamped_with_the_account(site: Site, tmp_path: Path) -> None:
    path = tmp_path / "free.pdf"
    path.write_bytes(book(3))
    catalog.add_item(
        site.store, path, title="Free stamped", price_text="0", currency="usd", item_id="free-stamped"
    )
    set_options(site.store, "free-stamped", stamp=True)
    body = logged_in(site, "reader").get("/content/free-stamped/download").body
    reader = site.user("reader@example.com")
    assert stamping.identifier(site.store, reader["id"], 1).encode().hex().encode() in body


def test_a_pdf_that_cannot_be_stamped_is_refused_and_nothing_changes(site: Site, tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "locked.pdf", user_password="")
    catalog.add_item(site.store, path, title="Locked", price_text="1", currency="usd", item_id="locked")
    before = site.written("catalog")
    with pytest.raises(InvalidInput, match="cannot be stamped"):
        set_options(site.store, "locked", stamp=True)
    assert site.written("catalog") == before
