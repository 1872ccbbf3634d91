"""JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) from the dataclasses in `shapes`.

The API's shapes are declared once, as typed dataclasses; this turns their type hints into schemas,
so the OpenAPI document cannot drift from what the handlers build. Only the types the shapes use are
understood (str, int, bool, None, list[...], unions, Literal, nested dataclasses); anything else is a
bug caught by the tests that validate every answer against the document.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

Schema = dict[str, Any]


def ref(cls: type) -> Schema:
    return {"$ref": f"#/components/schemas/{cls.__name__}"}


def of(tp: Any, found: dict[str, Schema]) -> Schema:
    """The schema of one type hint; dataclasses go into `found` (by name) and are referenced."""
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is type(None) or tp is None:
        return {"type": "null"}
    if tp is Any:
        return {}
    origin = get_origin(tp)
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [of(arg, found) for arg in get_args(tp)]}
    if origin is list:
        return {"type": "array", "items": of(get_args(tp)[0], found)}
    if origin is dict:
        return {"type": "object", "additionalProperties": of(get_args(tp)[1], found)}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if tp.__name__ not in found:
            found[tp.__name__] = {}  # a placeholder first: a shape may refer to itself
            found[tp.__name__] = _object(tp, found)
        return ref(tp)
    raise TypeError(f"no JSON Schema for {tp!r}")


def _object(cls: type, found: dict[str, Schema]) -> Schema:
    hints = get_type_hints(cls)
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        prop = of(hints[f.name], found)
        doc = f.metadata.get("doc")
        if doc:
            prop = {**prop, "description": doc}
        properties[f.name] = prop
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    schema: Schema = {"type": "object", "properties": properties, "required": required}
    if cls.__doc__:
        schema["description"] = " ".join(cls.__doc__.split())
    if not getattr(cls, "open", False):
        schema["additionalProperties"] = False
    return schema


def query_parameters(cls: type) -> list[Schema]:
    """OpenAPI parameters (`in: query`) from a dataclass of optional query fields."""
    hints = get_type_hints(cls)
    found: dict[str, Schema] = {}
    return [
        {
            "name": f.name,
            "in": "query",
            "required": False,
            "description": f.metadata.get("doc", ""),
            "schema": of(_without_none(hints[f.name]), found),
        }
        for f in dataclasses.fields(cls)
    ]


def _without_none(tp: Any) -> Any:
    args = [a for a in get_args(tp) if a is not type(None)]
    return args[0] if get_origin(tp) in (Union, types.UnionType) and len(args) == 1 else tp
