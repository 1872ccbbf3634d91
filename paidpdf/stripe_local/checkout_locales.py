"""The `locale` of a Checkout Session: the languages Stripe's hosted page is translated into.

Stripe refuses any other value with an `invalid_request_error` naming `locale` (a shop passing `de_DE`
or `pt-PT` gets an error, not a page in English), so the stand-in does the same and a shop that passes
its tests is proven to send only values Stripe accepts. The list is the `Literal` of stripe-python 16's
`checkout.Session.locale`; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local.params import enum

LOCALES: tuple[str, ...] = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA",
    "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR",
    "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)  # fmt: skip


def locale(value: Any, param: str = "locale") -> str:
    """A locale Stripe's page offers, else Stripe's error ("Invalid locale: must be one of ...")."""
    return enum(value, param, LOCALES)
