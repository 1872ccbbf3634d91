"""The language of Stripe's own Checkout page: the one the reader chose on the shop.

Without `locale` Stripe picks the browser's language (`auto`), so a reader who chose French on the
shop from an English browser would pay on an English page. Every language the shop ships (`languages`)
is one of Stripe's Checkout locales (a test holds the two lists together), so the code is passed as
it is; a value the shop does not know sends nothing, and Stripe falls back to `auto`.
"""

from __future__ import annotations

from typing import Any

from paidpdf import languages


def session_params(locale: str | None) -> dict[str, Any]:
    """`{"locale": code}` for a language the shop ships, else nothing."""
    code = languages.known(locale)
    return {"locale": code} if code else {}
