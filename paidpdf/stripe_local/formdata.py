"""Stripe's form encoding: `line_items[0][price_data][unit_amount]=1999` into nested dicts and lists.

Stripe (and the `stripe` library) send nested parameters as bracketed keys; lists use either
indexes (`expand[0]=x`, what the library sends) or empty brackets (`expand[]=x`, what curl users type).
Values stay strings here: the endpoint decides what type each parameter must have and says so in
Stripe's words when it is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from paidpdf.stripe_local.api_errors import ApiError

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")
_APPEND = object()


def parse_query(text: str) -> dict[str, Any]:
    """Parse a query string or an `application/x-www-form-urlencoded` body."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=5000)
    except ValueError as exc:
        raise ApiError(f"Invalid request body: {exc}") from None
    return parse_pairs(pairs)


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY_RE.match(key)
        if not match:
            raise ApiError(f"Invalid parameter name: {key}", param=key, code="parameter_unknown")
        path: list[Any] = [match.group(1)]
        for segment in _SEGMENT_RE.findall(match.group(2)):
            path.append(_APPEND if segment == "" else segment)
        _put(root, path, value, key)
    return _listify(root)


def _put(root: dict[str, Any], path: list[Any], value: str, key: str) -> None:
    node = root
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part is _APPEND:
            if not last:
                raise ApiError(f"Invalid array parameter {key}: use indexes such as [0]", param=key)
            count = len(node)
            node[str(count)] = value
            return
        if last:
            if isinstance(node.get(part), dict):
                raise ApiError(f"Invalid hash: {key} is both a value and a hash", param=key)
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ApiError(f"Invalid hash: {key} is both a value and a hash", param=key)
        node = child


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all indexes ("0", "1", ...) into lists, ordered by index."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted
