"""What a route reads from the request: form fields, raw headers, the peer address.

Apart from the rest of the web plumbing because each one decides how untrusted bytes become text:
form fields as UTF-8 with a length cap, headers exactly as the server received them, the address from
the server alone.
"""

from __future__ import annotations

from bottle import request


def raw_header(name: str) -> str | None:
    """A request header as the server received it (WSGI's latin-1 text). Bottle's `get_header`
    re-decodes values as UTF-8 and raises on other bytes, which made a 500 of any header a client
    filled with them; the headers read here are ASCII by definition, so anything else just won't parse."""
    value = request.environ.get("HTTP_" + name.upper().replace("-", "_"))
    return str(value) if value is not None else None


def form(name: str, limit: int = 4096) -> str:
    """A form field as text (UTF-8 decoded, not Bottle's latin-1 default), cut to `limit` chars."""
    value = request.forms.getunicode(name, default="") or ""
    return str(value)[:limit]


def query(name: str, limit: int = 4096) -> str:
    """A query-string parameter as text, cut to `limit` chars ("" when absent)."""
    value = request.query.getunicode(name, default="") or ""
    return str(value)[:limit]


def remote_addr() -> str:
    """The peer address from the server (never X-Forwarded-For, which clients can forge)."""
    return str(request.environ.get("REMOTE_ADDR") or "")
