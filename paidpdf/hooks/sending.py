"""One signed POST of one event to one endpoint (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
`webhook-signature`, signed by the `standardwebhooks` library), to the address `address_check` just
approved, with a timeout and no redirects followed (a redirect is an answer: not delivered).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from paidpdf import __version__
from paidpdf.errors import PaidPdfError
from paidpdf.hooks import address_check


@dataclass(frozen=True)
class Attempt:
    """What one POST gave: the receiver's status (None when there was no answer), how long it took."""

    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an approved address, the certificate checked for the URL's host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def headers_for(secret: str, message_id: str, body: str, moment: datetime | None = None) -> dict[str, str]:
    stamp = (moment or datetime.now(UTC)).replace(microsecond=0)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, stamp, body),
    }


def post(
    endpoint: dict[str, Any], secret: str, message_id: str, payload: dict[str, Any], timeout: float
) -> Attempt:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, path = address_check.parse_url(str(endpoint["url"]))
        address = str(address_check.resolve(host, port, allow_private=bool(endpoint.get("allow_private"))))
    except PaidPdfError as exc:
        return Attempt(None, took(), exc.message)
    body = json.dumps(payload, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"paidpdf-hooks/{__version__}",
        "Host": host if port in (80, 443) else f"{host}:{port}",
        **headers_for(secret, message_id, body),
    }
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(host, address, port, timeout)
        if scheme == "https"
        else http.client.HTTPConnection(address, port, timeout=timeout)
    )
    try:
        connection.request("POST", path, body=body.encode(), headers=headers)
        answer = connection.getresponse()
        answer.read(64 * 1024)
        return Attempt(answer.status, took(), None)
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(None, took(), f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connection.close()
