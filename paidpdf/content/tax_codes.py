"""Product tax codes: what each item is for tax purposes, as Stripe Tax and Managed Payments read it.

Why here and not in the sales area: the code describes what the creator sells (an e-book, an album, a
video), like its format, and is set with `content edit ID --tax-code`. Without one, an item's code
follows its primary file's format (`DEFAULT_BY_FORMAT`), so most shops never set any. A ZIP can hold
anything (fonts, templates, software), so it has no default: its creator says what it is.

`MANAGED_ELIGIBLE` is the list of codes Stripe's Managed Payments accepts (its eligibility page,
"Eligible tax codes", as of 2026-04); `paidpdf serve` refuses to start in `PAIDPDF_TAX=managed` while an
item for sale has no eligible code, because Stripe would refuse every checkout of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from paidpdf.errors import InvalidInput

TAX_CODE = re.compile(r"txcd_\d{8}")

EBOOK = "txcd_10302000"  # Digital Books - downloaded - non subscription - with permanent rights
AUDIO = "txcd_10401100"  # Digital Audio Works - downloaded - non subscription - with permanent rights
VIDEO = "txcd_10402100"  # Digital Audio Visual Works - downloaded - non subscription - with permanent rights
VIDEO_STREAMED = "txcd_10402000"  # Digital Audio Visual Works - streamed - non subscription - limited rights
GENERAL_DIGITAL = "txcd_10000000"  # General - Electronically Supplied Services

#: An item's code when it has none of its own, by its primary file's format.
DEFAULT_BY_FORMAT: dict[str, str] = {
    "pdf": EBOOK,
    "epub": EBOOK,
    "mp3": AUDIO,
    "m4a": AUDIO,
    "ogg": AUDIO,
    "flac": AUDIO,
    "wav": AUDIO,
    "mp4": VIDEO,
    "webm": VIDEO,
}

#: Codes Managed Payments accepts (docs.stripe.com/payments/managed-payments/eligibility).
MANAGED_ELIGIBLE = frozenset(
    [
        "txcd_10000000", "txcd_10010001", "txcd_10101000", "txcd_10102000", "txcd_10102001",
        "txcd_10103000", "txcd_10103001", "txcd_10103100", "txcd_10103101", "txcd_10105001",
        "txcd_10105002", "txcd_10105003", "txcd_10105004", "txcd_10201000", "txcd_10201001",
        "txcd_10201002", "txcd_10201003", "txcd_10201004", "txcd_10202000", "txcd_10202001",
        "txcd_10202003", "txcd_10301000", "txcd_10302000", "txcd_10302001", "txcd_10302002",
        "txcd_10302003", "txcd_10303000", "txcd_10303002", "txcd_10303100", "txcd_10303101",
        "txcd_10303102", "txcd_10303104", "txcd_10304000", "txcd_10304001", "txcd_10304002",
        "txcd_10304003", "txcd_10304100", "txcd_10304102", "txcd_10305000", "txcd_10305001",
        "txcd_10401000", "txcd_10401001", "txcd_10401100", "txcd_10401200", "txcd_10402000",
        "txcd_10402100", "txcd_10402110", "txcd_10402200", "txcd_10501000", "txcd_10503000",
        "txcd_10503001", "txcd_10503002", "txcd_10503003", "txcd_10503004", "txcd_10503005",
        "txcd_10504003", "txcd_10505000", "txcd_10505001", "txcd_10505002", "txcd_10506000",
        "txcd_10506001", "txcd_10506002", "txcd_10701100", "txcd_10701400", "txcd_10701401",
        "txcd_10701410", "txcd_10701411", "txcd_10804001", "txcd_10804002", "txcd_10804003",
        "txcd_10804010", "txcd_20060058", "txcd_20060158", "txcd_20060258", "txcd_20060358",
        "txcd_37071001",
    ]
)  # fmt: skip


def check_tax_code(text: str) -> str:
    """A tax code typed by the creator: `txcd_` and eight digits (Stripe's format), lower-cased."""
    code = text.strip().lower()
    if not TAX_CODE.fullmatch(code):
        raise InvalidInput(f"a tax code is txcd_ and eight digits, like {EBOOK}; got {text.strip()!r}")
    return code


def item_tax_code(item: Mapping[str, Any]) -> str | None:
    """The item's own code, else its format's default; None when neither says (a ZIP without one).
    A video the shop only streams (`stream_only`) is a streamed, not a downloaded, work."""
    own = item.get("tax_code")
    if isinstance(own, str) and own:
        return own
    file_format = str(item.get("format") or "pdf")
    if file_format in ("mp4", "webm") and item.get("stream_only"):
        return VIDEO_STREAMED
    return DEFAULT_BY_FORMAT.get(file_format)


def bundle_tax_code(items: Iterable[Mapping[str, Any]]) -> str:
    """A bundle is one line at checkout: its items' code when they all share one, else the general
    code for electronically supplied services (eligible for Managed Payments)."""
    codes = {item_tax_code(item) for item in items}
    if len(codes) == 1:
        (only,) = codes
        if only:
            return only
    return GENERAL_DIGITAL


def managed_refusal(items: Iterable[Mapping[str, Any]]) -> str | None:
    """Why `serve` must not start in managed mode (the first active item without an eligible code,
    named), or None when every item for sale can be sold through Managed Payments."""
    for item in items:
        if item.get("status") != "active":
            continue
        code = item_tax_code(item)
        if code is None:
            return (
                f"PAIDPDF_TAX=managed: item {item['id']!r} has no product tax code; set one with "
                f"`paidpdf content edit {item['id']} --tax-code txcd_...` (docs/tax.md)"
            )
        if code not in MANAGED_ELIGIBLE:
            return (
                f"PAIDPDF_TAX=managed: item {item['id']!r} has tax code {code}, which Managed Payments "
                f"does not accept; choose an eligible one with `paidpdf content edit {item['id']} "
                "--tax-code txcd_...` (docs/tax.md)"
            )
    return None
