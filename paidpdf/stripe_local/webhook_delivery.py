"""Events and their webhook deliveries: every change emits an event, signed and POSTed like Stripe.

Deliveries retry with backoff (`Config.retry_base`, `retry_factor`, `max_attempts`) on the scheduler's
workers, outside the account lock; tests can pause, drop, resend and inspect them.
"""

from __future__ import annotations

import copy
import http.client
import json
import time
from urllib.parse import urlsplit

from paidpdf.stripe_local import objects, params
from paidpdf.stripe_local.account import AccountCore, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.signing import signature_header

WEBHOOK_MODES = ("on", "paused", "dropped")


class Delivering(AccountCore):
    """Events (`/v1/events`) and their webhook deliveries."""

    # ------------------------------------------------------------------ events

    def list_events(self, raw: Obj) -> Obj:
        params.check_known(
            raw,
            {
                "created",
                "delivery_success",
                "ending_before",
                "expand",
                "limit",
                "starting_after",
                "type",
                "types",
            },
        )
        created = params.range_filter(raw, "created")
        patterns: list[str] = []
        if params.present(raw.get("type")):
            patterns.append(params.string(raw["type"], "type"))
        if params.present(raw.get("types")):
            patterns.extend(params.string(t, "types") for t in params.array(raw["types"], "types"))
        with self._lock:
            found = [
                e
                for e in reversed(self._store["events"].values())
                if params.in_range(e["created"], created)
                and (not patterns or any(_type_matches(p, e["type"]) for p in patterns))
            ]
            return self._page(found, raw, "/v1/events", "event")

    def get_event(self, event_id: str) -> Obj:
        with self._lock:
            return copy.deepcopy(self._require(event_id, "events", "id"))

    def events(self, type: str | None = None) -> list[Obj]:
        """All events, oldest first (a convenience for tests; the API lists newest first)."""
        with self._lock:
            return [
                copy.deepcopy(e)
                for e in self._store["events"].values()
                if type is None or _type_matches(type, e["type"])
            ]

    # ------------------------------------------------------------------ webhook delivery

    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        """Point deliveries at another endpoint (e.g. once the shop's port is known).

        Deliveries still pending or held follow the endpoint to its new URL.
        """
        with self._lock:
            if url is not None and not url.startswith(("http://", "https://")):
                raise invalid("url", "Not a valid URL", "url_invalid")
            self.config.webhook_url = url or None
            if secret:
                self.config.webhook_secret = secret
            if url:
                for delivery in self._deliveries.values():
                    if delivery["status"] in ("pending", "held"):
                        delivery["url"] = url

    def set_webhook_mode(self, mode: str) -> Obj:
        """`on`, `paused` (attempts wait until resumed) or `dropped` (nothing is ever delivered)."""
        if mode not in WEBHOOK_MODES:
            raise invalid("mode", f"Invalid mode: must be one of {', '.join(WEBHOOK_MODES)}")
        with self._lock:
            self._webhook_mode = mode
            if mode == "on":
                for delivery in self._deliveries.values():
                    if delivery["status"] == "held":
                        delivery["status"] = "pending"
                        self._schedule_attempt(delivery["id"], 0.0)
            elif mode == "dropped":
                for delivery in self._deliveries.values():
                    if delivery["status"] in ("pending", "held"):
                        delivery["status"] = "dropped"
                        delivery["next_attempt_at"] = None
            self._changed.notify_all()
            return self.webhook_status()

    def webhook_status(self) -> Obj:
        with self._lock:
            counts: dict[str, int] = {}
            for delivery in self._deliveries.values():
                counts[delivery["status"]] = counts.get(delivery["status"], 0) + 1
            return {
                "url": self.config.webhook_url,
                "mode": self._webhook_mode,
                "deliveries": counts,
                "enabled_events": list(self.config.enabled_events),
                "max_attempts": self.config.max_attempts,
                "retry_base": self.config.retry_base,
                "retry_factor": self.config.retry_factor,
            }

    def deliveries(
        self, event: str | None = None, type: str | None = None, status: str | None = None
    ) -> list[Obj]:
        """Delivery records, oldest first, each with its attempts (time, HTTP status or error)."""
        with self._lock:
            return [
                copy.deepcopy(d)
                for d in self._deliveries.values()
                if (event is None or d["event"] == event)
                and (type is None or _type_matches(type, d["type"]))
                and (status is None or d["status"] == status)
            ]

    def resend(self, event_id: str) -> Obj:
        """Deliver a stored event once more (a new delivery with its own retries): duplicates on demand."""
        with self._lock:
            event = self._require(event_id, "events", "id")
            if not self.config.webhook_url:
                raise ApiError("No webhook endpoint is configured.", param="url")
            return copy.deepcopy(self._new_delivery(event))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is pending and no delayed payment waits; False on timeout.

        Held (paused) deliveries count as settled, so a test can pause, act, and inspect.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._async_pending or any(d["status"] == "pending" for d in self._deliveries.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._changed.wait(min(remaining, 0.5))
            return True

    def _emit(self, event_type: str, obj: Obj, request: RequestInfo, previous: Obj | None = None) -> Obj:
        snapshot = self.render(obj, [])
        deliver = bool(self.config.webhook_url) and _enabled(self.config.enabled_events, event_type)
        event = objects.event(
            event_type,
            snapshot,
            self.now(),
            self.config.api_version,
            int(deliver),
            request.id,
            request.idempotency_key,
            previous,
        )
        self._store["events"][event["id"]] = event
        self._payloads[event["id"]] = json.dumps(event, indent=2)
        if deliver:
            self._new_delivery(event)
        return event

    def _new_delivery(self, event: Obj) -> Obj:
        delivery: Obj = {
            "id": objects.new_id("whd_", 16),
            "event": event["id"],
            "type": event["type"],
            "url": self.config.webhook_url,
            "status": "pending",
            "attempts": [],
            "next_attempt_at": None,
            "created": self.now(),
        }
        self._deliveries[delivery["id"]] = delivery
        if self._webhook_mode == "dropped":
            delivery["status"] = "dropped"
        elif self._webhook_mode == "paused":
            delivery["status"] = "held"
        else:
            self._schedule_attempt(delivery["id"], 0.0)
        return delivery

    def _schedule_attempt(self, delivery_id: str, delay: float) -> None:
        self._deliveries[delivery_id]["next_attempt_at"] = time.time() + delay
        self.scheduler.call_later(delay, lambda: self._attempt(delivery_id))

    def _attempt(self, delivery_id: str) -> None:
        with self._lock:
            delivery = self._deliveries[delivery_id]
            if delivery["status"] != "pending" or self._closed:
                return
            if self._webhook_mode != "on":
                delivery["status"] = "held" if self._webhook_mode == "paused" else "dropped"
                self._changed.notify_all()
                return
            url, secret = delivery["url"], self.config.webhook_secret
            payload = self._payloads[delivery["event"]]
        started_at, started = time.time(), time.monotonic()
        status, error = _post(
            url, payload, signature_header(payload, secret, int(time.time())), self.config.delivery_timeout
        )
        with self._lock:
            delivery["attempts"].append(
                {
                    "at": started_at,
                    "status": status,
                    "error": error,
                    "duration_ms": int((time.monotonic() - started) * 1000),
                }
            )
            if status is not None and 200 <= status < 300:
                delivery.update(status="delivered", next_attempt_at=None)
                event = self._store["events"][delivery["event"]]
                event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
            elif len(delivery["attempts"]) >= self.config.max_attempts:
                delivery.update(status="failed", next_attempt_at=None)
            elif delivery["status"] == "pending":
                tries = len(delivery["attempts"])
                wait = min(
                    self.config.retry_base * self.config.retry_factor ** (tries - 1),
                    self.config.retry_max_delay,
                )
                self._schedule_attempt(delivery_id, wait)
            self._changed.notify_all()


def _type_matches(pattern: str, event_type: str) -> bool:
    """Stripe's event type filter: exact, or a `*` wildcard (`checkout.session.*`)."""
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def _enabled(enabled_events: list[str], event_type: str) -> bool:
    return any(p == "*" or _type_matches(p, event_type) for p in enabled_events)


def _post(url: str, payload: str, signature: str, timeout: float) -> tuple[int | None, str | None]:
    """POST one webhook like Stripe: JSON body, signed header, no redirects followed. (status, error)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            target,
            body=payload.encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": signature,
                "Cache-Control": "no-cache",
            },
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
