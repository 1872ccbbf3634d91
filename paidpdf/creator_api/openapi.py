"""The OpenAPI 3.1 document of the creator API, made from `endpoints.ENDPOINTS` and `shapes`: served
at `/api/v1/openapi.json`, never written by hand."""

from __future__ import annotations

import re
from typing import Any

from paidpdf import __version__
from paidpdf.creator_api import json_schema, shapes
from paidpdf.creator_api.endpoints import ENDPOINTS, Endpoint

_ARG = re.compile(r"<(\w+)>")
ERROR_TEXT = {
    400: "Bad input",
    401: "No valid API key",
    403: "A read-only key cannot write",
    404: "Not found",
    409: "Conflicts with the current state",
    429: "Too many calls: see Retry-After",
    502: "Stripe could not be reached",
    503: "Payments are not configured, or the store is unavailable",
}


def document(base_url: str = "") -> dict[str, Any]:
    schemas: dict[str, json_schema.Schema] = {}
    json_schema.of(shapes.Error, schemas)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        path = _ARG.sub(r"{\1}", endpoint.path)
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint, schemas)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "paidpdf creator API",
            "version": __version__,
            "description": "Read the shop's items, orders, customers and license keys; grant, revoke and "
            "refund. See docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A key from `paidpdf api-keys add`.",
                }
            },
        },
        "security": [{"bearer": []}],
    }
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc


def _operation(endpoint: Endpoint, schemas: dict[str, json_schema.Schema]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _ARG.findall(endpoint.path)
    ]
    if endpoint.query is not None:
        params += json_schema.query_parameters(endpoint.query)
    responses: dict[str, Any] = {
        str(endpoint.status): {
            "description": "OK",
            "content": {"application/json": {"schema": json_schema.of(endpoint.answer, schemas)}},
        },
    }
    for status in endpoint.errors:
        responses[str(status)] = {
            "description": ERROR_TEXT[status],
            "content": {"application/json": {"schema": json_schema.ref(shapes.Error)}},
        }
    op: dict[str, Any] = {"operationId": endpoint.name, "summary": endpoint.summary, "responses": responses}
    if params:
        op["parameters"] = params
    if endpoint.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": json_schema.of(endpoint.body, schemas)}},
        }
    if endpoint.writes:
        op["description"] = "Needs a full (not read-only) key."
    return op
