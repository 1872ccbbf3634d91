"""Checkout Sessions: create, retrieve, list, line items, expire, and expiry on Stripe's own timer."""

from __future__ import annotations

import heapq
import secrets
from collections.abc import Iterable

from paidpdf.stripe_local import objects, params, session_params
from paidpdf.stripe_local.account import CUSTOMER, SWEEP_EVERY, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.webhook_delivery import Delivering


class Sessions(Delivering):
    """`/v1/checkout/sessions` and the hosted page's view of one."""

    # ------------------------------------------------------------------ checkout sessions

    def create_session(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        now = self.now()
        values = session_params.session_create(raw, now)
        expand = params.expand(raw)
        with self._lock:
            if values["customer"]:
                self._require(values["customer"], "customers", "customer")
            session_id = objects.new_id("cs_test_", 58)
            page_url = f"{self.public_url}/pay/{session_id}"
            session = objects.checkout_session(values, now, page_url, session_id)
            if session["success_url"]:
                session["success_url"] = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            if session["cancel_url"]:
                session["cancel_url"] = session["cancel_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            self._store["sessions"][session_id] = session
            self._private[session_id] = {
                "line_items": [objects.line_item(item, now) for item in values["line_items"]],
                "payment_intent_data": values["payment_intent_data"],
                "page_token": secrets.token_urlsafe(24),
                "billing": {
                    "trial_period_days": values["trial_period_days"],
                    "metadata": values["subscription_metadata"],
                    "description": values["subscription_description"],
                },
            }
            heapq.heappush(self._expiries, (session["expires_at"], session_id))
            self._save()
            self._start_sweeper()
            return self.render(session, expand)

    def get_session(self, session_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            self._sweep()
            return self.render(self._require(session_id, "sessions", "session"), list(expand))

    def list_sessions(self, raw: Obj) -> Obj:
        params.check_known(
            raw,
            {
                "created",
                "customer",
                "customer_details",
                "ending_before",
                "expand",
                "limit",
                "payment_intent",
                "payment_link",
                "starting_after",
                "status",
                "subscription",
            },
        )
        created = params.range_filter(raw, "created")
        status = (
            params.enum(raw["status"], "status", ("open", "complete", "expired"))
            if params.present(raw.get("status"))
            else None
        )
        intent = (
            params.string(raw["payment_intent"], "payment_intent")
            if params.present(raw.get("payment_intent"))
            else None
        )
        owner = {
            name: params.string(raw[name], name)
            for name in ("customer", "subscription")
            if params.present(raw.get(name))
        }
        email = None
        if params.present(raw.get("customer_details")):
            details = params.hash_(raw["customer_details"], "customer_details")
            params.check_known(details, {"email"}, "customer_details")
            email = (
                params.email(details["email"], "customer_details[email]") if details.get("email") else None
            )
        with self._lock:
            self._sweep()
            found = [
                s
                for s in reversed(self._store["sessions"].values())
                if params.in_range(s["created"], created)
                and (status is None or s["status"] == status)
                and (intent is None or s["payment_intent"] == intent)
                and (email is None or (s["customer_details"] or {}).get("email") == email)
                and all(s[name] == value for name, value in owner.items())
            ]
            return self._page(found, raw, "/v1/checkout/sessions", "checkout.session")

    def session_line_items(self, session_id: str, raw: Obj) -> Obj:
        params.check_known(raw, {"ending_before", "expand", "limit", "starting_after"})
        with self._lock:
            self._require(session_id, "sessions", "session")
            items = self._private[session_id]["line_items"]
            return self._page(items, raw, f"/v1/checkout/sessions/{session_id}/line_items", "line_item")

    def expire_session(self, session_id: str, request: RequestInfo = CUSTOMER) -> Obj:
        with self._lock:
            session = self._require(session_id, "sessions", "session")
            if session["status"] != "open":
                raise ApiError(  # Stripe's own words (an `invalid_request_error` without a code)
                    'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session '
                    f"has a status of `{session['status']}`."
                )
            self._expire(session, request)
            self._save()
            return self.render(session, [])

    def page_view(self, session_id: str) -> Obj:
        """What the hosted page shows: the session, its products and the form token."""
        with self._lock:
            self._sweep()
            session = self._require(session_id, "sessions", "session")
            private = self._private[session_id]
            return {
                "session": self.render(session, []),
                "products": [
                    {
                        "name": li["_product"]["name"],
                        "description": li["_product"]["description"],
                        "images": li["_product"]["images"],
                        "quantity": li["quantity"],
                        "amount": li["amount_total"],
                        "currency": li["currency"],
                    }
                    for li in private["line_items"]
                ],
                "token": private["page_token"],
                "payer_email": session["customer_email"]
                or (self._store["customers"].get(session["customer"] or "") or {}).get("email"),
                "recurring": private["line_items"][0]["price"]["recurring"],
                "recurring_amount": sum(
                    li["price"]["unit_amount"] * li["quantity"] for li in private["line_items"]
                ),
                "trial_period_days": private.get("billing", {}).get("trial_period_days"),
            }

    def check_page_token(self, session_id: str, token: str) -> bool:
        with self._lock:
            private = self._private.get(session_id)
            return private is not None and secrets.compare_digest(private["page_token"], token)

    # ------------------------------------------------------------------ expiry

    def _expire(self, session: Obj, request: RequestInfo) -> None:
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session, request)

    def _sweep(self) -> None:
        """Expire open sessions whose `expires_at` has passed, like Stripe's own timer."""
        now = self.now()
        changed = False
        while self._expiries and self._expiries[0][0] <= now:
            _, session_id = heapq.heappop(self._expiries)
            session = self._store["sessions"][session_id]
            if session["status"] == "open":
                self._expire(session, CUSTOMER)
                changed = True
        if changed:
            self._save()

    def _start_sweeper(self) -> None:
        if self._sweeping:
            return
        self._sweeping = True

        def tick() -> None:
            with self._lock:
                self._sweep()
            self.scheduler.call_later(SWEEP_EVERY, tick)

        self.scheduler.call_later(SWEEP_EVERY, tick)
