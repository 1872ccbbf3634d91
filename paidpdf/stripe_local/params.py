"""Typed readers for form parameters, shared by every route.

Everything arrives as strings (see `formdata`); these helpers turn them into ints, booleans, hashes
and lists or raise the 400 Stripe would send, naming the parameter in Stripe's bracket notation so a
mistake in the shop's call shows up exactly where it is.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from paidpdf.money import known_currencies
from paidpdf.stripe_local.api_errors import ApiError, invalid

_INT_RE = re.compile(r"^-?[0-9]+$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY_RE = re.compile(r"^[a-zA-Z]{3}$")


def check_known(params: dict[str, Any], known: set[str] | frozenset[str], prefix: str = "") -> None:
    for key in params:
        if key not in known:
            name = f"{prefix}[{key}]" if prefix else key
            raise ApiError(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def present(value: Any) -> bool:
    """Stripe treats an empty string like an absent parameter (it is how you unset things)."""
    return value is not None and value != ""


def string(value: Any, param: str, max_length: int = 5000) -> str:
    if not isinstance(value, str):
        raise invalid(param, f"Invalid string: {param} must be a string, not a hash or an array")
    if len(value) > max_length:
        raise invalid(param, f"Invalid string: must be at most {max_length} characters long")
    return value


def integer(value: Any, param: str) -> int:
    if not isinstance(value, str) or not _INT_RE.match(value.strip()):
        raise invalid(
            param,
            f"Invalid integer: {value if isinstance(value, str) else '(hash)'}",
            code="parameter_invalid_integer",
        )
    return int(value)


def boolean(value: Any, param: str) -> bool:
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise invalid(param, f"Invalid boolean: {value!s}")


def hash_(value: Any, param: str) -> dict[str, Any]:
    if isinstance(value, list):  # keys that happen to be all digits come back as a list
        return {str(i): v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        raise invalid(param, f"Invalid hash: {param} must be a hash (use {param}[key]=value)")
    return value


def array(value: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(param, f"Invalid array: {param} must be an array (use {param}[0]=...)")
    return value


def enum(value: Any, param: str, choices: tuple[str, ...]) -> str:
    text = string(value, param)
    if text not in choices:
        raise invalid(param, f"Invalid {param}: must be one of {', '.join(choices)}")
    return text


def url(value: Any, param: str) -> str:
    text = string(value, param, 5000)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(param, "Not a valid URL", code="url_invalid")
    return text


def email(value: Any, param: str) -> str:
    text = string(value, param, 800)
    if not _EMAIL_RE.match(text):
        raise invalid(param, f"Invalid email address: {text}", code="email_invalid")
    return text


def currency(value: Any, param: str) -> str:
    """An ISO 4217 code Stripe knows (Babel's list), lower-case; else Stripe's error naming the codes."""
    text = string(value, param)
    if not _CURRENCY_RE.match(text) or text.lower() not in known_currencies():
        raise invalid(
            param,
            f"Invalid currency: {text.lower()[:20]}. Stripe currently supports these currencies: "
            + ", ".join(sorted(known_currencies())),
        )
    return text.lower()


def metadata(value: Any, param: str) -> dict[str, str]:
    """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500 characters, strings only."""
    if not present(value):
        return {}
    found = hash_(value, param)
    if len(found) > 50:
        raise invalid(param, "Invalid metadata: at most 50 keys are allowed")
    result: dict[str, str] = {}
    for key, item in found.items():
        if len(key) > 40:
            raise invalid(f"{param}[{key}]", "Invalid metadata: keys must be at most 40 characters long")
        if not isinstance(item, str):
            raise invalid(f"{param}[{key}]", "Invalid metadata: values must be strings")
        if len(item) > 500:
            raise invalid(f"{param}[{key}]", "Invalid metadata: values must be at most 500 characters long")
        if item != "":
            result[key] = item
    return result


def expand(params: dict[str, Any]) -> list[str]:
    value = params.get("expand")
    if not present(value):
        return []
    if isinstance(value, str):
        return [value]
    return [string(v, "expand") for v in array(value, "expand")]


def limit(params: dict[str, Any]) -> int:
    if not present(params.get("limit")):
        return 10
    value = integer(params["limit"], "limit")
    if not 1 <= value <= 100:
        raise invalid(
            "limit",
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            code="parameter_invalid_integer",
        )
    return value


def range_filter(params: dict[str, Any], name: str) -> dict[str, int]:
    """`created=123` (exact) or `created[gte]=...&created[lt]=...`."""
    value = params.get(name)
    if not present(value):
        return {}
    if isinstance(value, str):
        exact = integer(value, name)
        return {"gte": exact, "lte": exact}
    found = hash_(value, name)
    check_known(found, {"gt", "gte", "lt", "lte"}, name)
    return {op: integer(v, f"{name}[{op}]") for op, v in found.items() if present(v)}


def in_range(value: int, bounds: dict[str, int]) -> bool:
    return (
        ("gt" not in bounds or value > bounds["gt"])
        and ("gte" not in bounds or value >= bounds["gte"])
        and ("lt" not in bounds or value < bounds["lt"])
        and ("lte" not in bounds or value <= bounds["lte"])
    )
