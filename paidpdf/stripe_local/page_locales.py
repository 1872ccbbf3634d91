"""The `locale` of a Checkout Session and of a Customer Portal session: the languages each of Stripe's
hosted pages is translated into (the two lists differ: the portal has regional English, Checkout has
`hi-IN`).

Stripe refuses any other value with an `invalid_request_error` naming `locale` (a shop passing `de_DE`
or `pt-PT` gets an error, not a page in English), so the stand-in does the same and a shop that passes
its tests is proven to send only values Stripe accepts. The lists are the `Literal`s of stripe-python
16's `checkout.Session.locale` and `billing_portal.Session.locale`; a test keeps them in step.
"""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local.params import enum

LOCALES: tuple[str, ...] = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA",
    "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR",
    "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)  # fmt: skip


PORTAL_LOCALES: tuple[str, ...] = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-AU", "en-CA", "en-GB", "en-IE", "en-IN", "en-NZ",
    "en-SG", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt",
    "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi",
    "zh", "zh-HK", "zh-TW",
)  # fmt: skip


def locale(value: Any, param: str = "locale") -> str:
    """A locale Checkout's page offers, else Stripe's error ("Invalid locale: must be one of ...")."""
    return enum(value, param, LOCALES)


def portal_locale(value: Any, param: str = "locale") -> str:
    """A locale the Customer Portal offers, else Stripe's error."""
    return enum(value, param, PORTAL_LOCALES)
