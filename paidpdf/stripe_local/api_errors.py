"""Stripe's error JSON, raised from anywhere in the stand-in and rendered by the web adapter.

The real `stripe` library picks its exception class from the HTTP status and `error.type`
(400/404 → `InvalidRequestError`, 401 → `AuthenticationError`, 402 → `CardError`, `idempotency_error` →
`IdempotencyError`), so both must be exactly what Stripe would send.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """One Stripe API error: an HTTP status plus the `{"error": {...}}` body."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.param = param
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}


def missing(param: str) -> ApiError:
    return ApiError(f"Missing required param: {param}.", param=param, code="parameter_missing")


def invalid(param: str, message: str, code: str = "parameter_invalid_string") -> ApiError:
    return ApiError(message, param=param, code=code)


def no_such(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(f"No such {kind}: '{object_id}'", status=404, param=param, code="resource_missing")
