"""Download delivery, byte for byte: ranges, If-Range, ETags, If-None-Match, HEAD, file names."""

from __future__ import annotations

from pathlib import Path

from paidpdf.content import catalog, demo
from tests.web.site import BIG, CAFE, FREE, PAID, Site, logged_in

BOTH_BACKENDS = True  # every site test here also runs on PostgreSQL

URL = f"/content/{BIG}/download"


def test_whole_file_headers_and_bytes(site: Site) -> None:
    app = logged_in(site, "reader")
    data = site.content_bytes(BIG)
    res = app.get(URL)
    assert res.status_int == 200
    assert res.body == data
    assert res.headers["Content-Length"] == str(len(data))
    assert res.headers["Accept-Ranges"] == "bytes"
    assert res.headers["Content-Type"] == "application/pdf"
    assert res.headers["Cache-Control"].startswith("private")
    item = site.item(BIG)
    assert res.headers["ETag"] == f'"{item["sha256"][:32]}-v{item["version"]}"'
    assert res.headers["Content-Disposition"] == 'attachment; filename="big.pdf"'


def test_head_matches_get_without_body(site: Site) -> None:
    app = logged_in(site, "reader")
    got = app.get(URL)
    head = app.head(URL)
    assert head.body == b""
    for name in ("Content-Length", "ETag", "Last-Modified", "Content-Disposition", "Accept-Ranges"):
        assert head.headers[name] == got.headers[name]
    ranged = app.head(URL, headers={"Range": "bytes=10-19"}, status=206)
    assert ranged.headers["Content-Range"] == f"bytes 10-19/{len(got.body)}"
    assert ranged.body == b""


def test_single_ranges_byte_for_byte(site: Site) -> None:
    app = logged_in(site, "reader")
    data = site.content_bytes(BIG)
    size = len(data)
    cases = {
        "bytes=0-0": (0, 0),
        "bytes=0-1048575": (0, 1048575),
        "bytes=1000-": (1000, size - 1),
        "bytes=-500": (size - 500, size - 1),
        f"bytes={size - 10}-{size + 1000}": (size - 10, size - 1),
        "bytes=-99999999999": (0, size - 1),
        "bytes = 5 - 9": (5, 9),
    }
    for header, (start, end) in cases.items():
        res = app.get(URL, headers={"Range": header}, status=206)
        assert res.headers["Content-Range"] == f"bytes {start}-{end}/{size}", header
        assert res.headers["Content-Length"] == str(end - start + 1)
        assert res.body == data[start : end + 1], header


def test_unsatisfiable_and_ignored_ranges(site: Site) -> None:
    app = logged_in(site, "reader")
    data = site.content_bytes(BIG)
    size = len(data)
    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0"):
        res = app.get(URL, headers={"Range": header}, status=416)
        assert res.headers["Content-Range"] == f"bytes */{size}"
        assert not res.body.startswith(b"%PDF")
    # Malformed or multi-range: ignored, the whole file (documented choice).
    for header in ("bytes=0-1,5-9", "items=0-5", "bytes=abc", "bytes=9-3", "bytes=-", "0-5"):
        res = app.get(URL, headers={"Range": header}, status=200)
        assert res.body == data, header
        assert "Content-Range" not in res.headers


def test_if_range_with_etag_and_date(site: Site) -> None:
    app = logged_in(site, "reader")
    data = site.content_bytes(BIG)
    first = app.get(URL, headers={"Range": "bytes=0-99"}, status=206)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    resumed = app.get(URL, headers={"Range": "bytes=100-", "If-Range": etag}, status=206)
    assert first.body + resumed.body == data
    by_date = app.get(URL, headers={"Range": "bytes=100-199", "If-Range": modified}, status=206)
    assert by_date.body == data[100:200]
    for stale in ('"0000-v1"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT"):
        whole = app.get(URL, headers={"Range": "bytes=100-", "If-Range": stale}, status=200)
        assert whole.body == data


def test_if_none_match(site: Site) -> None:
    app = logged_in(site, "reader")
    etag = app.head(URL).headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        res = app.get(URL, headers={"If-None-Match": header}, status=304)
        assert res.body == b""
        assert res.headers["ETag"] == etag
    assert app.get(URL, headers={"If-None-Match": '"other"'}, status=200).body == site.content_bytes(BIG)


def test_etag_changes_with_a_new_file_version_and_if_range_refuses_splicing(
    site: Site, tmp_path: Path
) -> None:
    app = logged_in(site, "reader")
    before = app.get(f"/content/{FREE}/download", headers={"Range": "bytes=0-99"}, status=206)
    old_etag = before.headers["ETag"]
    replacement = demo.make_sample_pdfs(tmp_path)[3]
    catalog.edit_item(site.store, FREE, pdf=replacement)
    new_data = site.content_bytes(FREE)
    assert site.item(FREE)["version"] == 2
    resumed = app.get(
        f"/content/{FREE}/download", headers={"Range": "bytes=100-", "If-Range": old_etag}, status=200
    )
    assert resumed.body == new_data  # the whole new file, never old head + new tail
    assert resumed.headers["ETag"] != old_etag and resumed.headers["ETag"].endswith('-v2"')
    assert (
        app.get(f"/content/{FREE}/download", headers={"If-None-Match": old_etag}, status=200).body == new_data
    )


def test_rfc6266_non_ascii_name(site: Site) -> None:
    app = logged_in(site, "reader")
    res = app.get(f"/content/{CAFE}/download")
    header = res.headers["Content-Disposition"]
    assert header.startswith('attachment; filename="Cafe - Resume.pdf"') or header.startswith(
        'attachment; filename="Cafe  Resume.pdf"'
    )
    assert "filename*=UTF-8''Caf%C3%A9%20%E2%80%93%20R%C3%A9sum%C3%A9.pdf" in header
    header.encode("latin-1")  # a valid header value
    assert res.body == site.content_bytes(CAFE)


def test_paid_file_for_owner_is_private(site: Site) -> None:
    app = logged_in(site, "owner")
    res = app.get(f"/content/{PAID}/download")
    assert res.body == site.content_bytes(PAID)
    assert res.headers["Cache-Control"].startswith("private")


# -- the pure functions, against a reference model -------------------------------------------------


