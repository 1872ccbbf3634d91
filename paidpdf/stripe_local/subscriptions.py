"""Subscriptions (`/v1/subscriptions`): started by a `mode=subscription` Checkout Session (customer,
card, subscription, first invoice), read, listed, updated (`cancel_at_period_end`) and canceled.
Their life in time (renewals, retries, the end) is `billing_clock`'s.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, datetime

from paidpdf.stripe_local import billing_objects, billing_params, checkout_tax, invoice_tax, objects, params
from paidpdf.stripe_local.account import CUSTOMER, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.invoices import Invoicing

SUB_STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)
ENDED = ("canceled", "incomplete_expired")


def add_interval(start: int, interval: str, count: int) -> int:
    """`start` plus `count` intervals, months and years on the calendar (Jan 31 + 1 month = Feb 28/29)."""
    if interval in ("day", "week"):
        return start + count * (86400 if interval == "day" else 7 * 86400)
    months = count * (12 if interval == "year" else 1)
    moment = datetime.fromtimestamp(start, UTC)
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return int(moment.replace(year=year, month=month + 1, day=day).timestamp())


class Subscriptions(Invoicing):
    """Subscriptions: the API, the checkout that starts one, and the clock that moves them."""

    # ------------------------------------------------------------------ started by Checkout

    def _complete_subscription(self, session: Obj, method: str, email: str, details: Obj) -> None:
        """The buyer finished a `mode=subscription` Checkout: customer, card, subscription, first
        invoice (paid, or for nothing during a trial), then `checkout.session.completed`. With
        `automatic_tax` the subscription is taxed too: every invoice at the buyer's address
        (`invoice_tax`), the session's totals from the first one."""
        private = self._private[session["id"]]
        billing = private["billing"]
        token = {"card": "pm_card_visa", "card_fails_later": "pm_card_chargeCustomerFail"}.get(method)
        if method == "no_card" and (
            session["payment_method_collection"] != "if_required" or session["amount_total"]
        ):
            raise invalid(
                "method", "This Checkout Session collects a card (payment_method_collection=always)."
            )
        if token is None and method != "no_card":
            raise invalid(
                "method", "Delayed payment methods are not offered for subscriptions by the stand-in."
            )
        if token and billing_objects.CARD_TOKENS[token][2] == "charge_fails" and session["amount_total"]:
            raise ApiError(
                "Your card was declined.",
                status=402,
                type="card_error",
                code="card_declined",
                decline_code="generic_decline",
                param="payment_method",
            )
        cust = self._store["customers"].get(session["customer"] or "")
        if cust is None:
            cust = billing_objects.customer({"email": email}, self.now())
            self._store["customers"][cust["id"]] = cust
            self._emit("customer.created", cust, CUSTOMER)
        if token:
            self._set_default_method(cust, self._attach(token, cust, CUSTOMER), token, CUSTOMER)
        now = self._time_for(cust)
        items = private["line_items"]
        recurring = items[0]["price"]["recurring"]
        trial_days = billing["trial_period_days"]
        trial_end = now + trial_days * 86400 if trial_days else None
        anchor = trial_end or now
        periods = 0 if trial_end else 1
        end = add_interval(anchor, recurring["interval"], recurring["interval_count"] * periods)
        sub = billing_objects.subscription(
            {
                "anchor": anchor,
                "customer": cust["id"],
                "currency": session["currency"],
                "status": "trialing" if trial_end else "incomplete",
                "trial_start": now if trial_end else None,
                "trial_end": trial_end,
                "metadata": billing["metadata"],
                "description": billing["description"],
                "test_clock": cust["test_clock"],
            },
            now,
        )
        names = {}
        for li in items:
            price = {k: v for k, v in li["price"].items()}
            item = billing_objects.subscription_item(
                sub["id"], price, {"id": price["product"]}, li["quantity"], now, end
            )
            sub["items"]["data"].append(item)
            names[item["id"]] = li["_product"]["name"]
        sub["items"]["total_count"] = len(sub["items"]["data"])
        self._store["subscriptions"][sub["id"]] = sub
        self._private[sub["id"]] = {
            "anchor": anchor,
            "periods": periods,
            "names": names,
            "interval": recurring,
        }
        details = {**details, "email": cust["email"]}
        if checkout_tax.taxed(session):
            sub["automatic_tax"] = invoice_tax.enabled_fields()
            self._private[sub["id"]]["tax_place"] = invoice_tax.place_of(details)
            if cust["address"] is None:  # Checkout saves the billing address on a new customer
                cust["address"] = dict(details["address"])
        self._emit("customer.subscription.created", sub, CUSTOMER)
        inv = self._new_invoice(sub, "subscription_create", (now, now), CUSTOMER)
        if checkout_tax.taxed(session) and trial_end:  # nothing due now: nothing taxed now
            session["automatic_tax"] = {**session["automatic_tax"], "status": "complete"}
        elif checkout_tax.taxed(session):  # the lines and totals, as the first invoice has them
            session["customer_details"] = details
            checkout_tax.apply_tax(session, items)
        self._collect(inv, CUSTOMER)
        if not trial_end:
            before = self.render(sub, [])
            sub["status"] = "active"
            self._emit_updated("customer.subscription.updated", sub, before, CUSTOMER)
        objects.completed(session)
        session.update(
            payment_status="paid" if session["amount_total"] else "no_payment_required",
            customer=cust["id"],
            subscription=sub["id"],
            invoice=inv["id"],
            customer_details=details,
        )
        self._emit("checkout.session.completed", session, CUSTOMER)

    # ------------------------------------------------------------------ the API

    def get_subscription(self, sub_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(sub_id, "subscriptions", "subscription"), list(expand))

    def list_subscriptions(self, raw: Obj) -> Obj:
        params.check_known(
            raw,
            {
                "automatic_tax",
                "collection_method",
                "created",
                "current_period_end",
                "current_period_start",
                "customer",
                "ending_before",
                "expand",
                "limit",
                "price",
                "starting_after",
                "status",
                "test_clock",
            },
        )
        created = params.range_filter(raw, "created")
        cust = params.string(raw["customer"], "customer") if params.present(raw.get("customer")) else None
        clock = (
            params.string(raw["test_clock"], "test_clock") if params.present(raw.get("test_clock")) else None
        )
        status = (
            params.enum(raw["status"], "status", SUB_STATUSES) if params.present(raw.get("status")) else None
        )

        def wanted(sub: Obj) -> bool:
            if status is None:  # Stripe's default: every subscription that has not been canceled
                return sub["status"] not in ENDED
            if status == "all":
                return True
            if status == "ended":
                return sub["status"] in ENDED
            return bool(sub["status"] == status)

        with self._lock:
            found = [
                s
                for s in reversed(self._store["subscriptions"].values())
                if params.in_range(s["created"], created)
                and (cust is None or s["customer"] == cust)
                and (clock is None or s["test_clock"] == clock)
                and wanted(s)
            ]
            return self._page(found, raw, "/v1/subscriptions", "subscription")

    def update_subscription(self, sub_id: str, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        values = billing_params.subscription_update(raw)
        with self._lock:
            sub = self._require(sub_id, "subscriptions", "subscription")
            if sub["status"] in ENDED and set(values) - {"metadata", "comment"}:
                raise ApiError(
                    "A canceled subscription can only update its cancellation_details and metadata.",
                    param="subscription",
                )
            before = self.render(sub, [])
            for name in ("metadata", "description"):
                if name in values:
                    sub[name] = values[name]
            if values.get("default_payment_method"):
                method = self._store["payment_methods"].get(values["default_payment_method"])
                if method is None or method["customer"] != sub["customer"]:
                    raise invalid(
                        "default_payment_method", "The payment method is not attached to this customer."
                    )
            if "default_payment_method" in values:
                sub["default_payment_method"] = values["default_payment_method"]
            if values["comment"] is not None:
                sub["cancellation_details"]["comment"] = values["comment"]
            if "cancel_at_period_end" in values and sub["status"] not in ENDED:
                self._set_cancel_at_period_end(sub, values["cancel_at_period_end"])
            self._emit_updated("customer.subscription.updated", sub, before, request)
            self._save()
            return self.render(sub, params.expand(raw))

    def cancel_subscription(self, sub_id: str, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        """`DELETE /v1/subscriptions/{id}`: ends it now (`customer.subscription.deleted`)."""
        params.check_known(raw, {"cancellation_details", "expand", "invoice_now", "prorate"})
        comment = billing_params.cancellation_comment(raw)
        with self._lock:
            sub = self._require(sub_id, "subscriptions", "subscription")
            if sub["status"] in ENDED:
                raise ApiError(
                    f"No such subscription: '{sub_id}' (it is already canceled)",
                    status=404,
                    param="subscription",
                    code="resource_missing",
                )
            if comment is not None:
                sub["cancellation_details"]["comment"] = comment
            self._end(
                sub,
                self._time_for(self._store["customers"].get(sub["customer"])),
                "cancellation_requested",
                request,
            )
            self._save()
            return self.render(sub, params.expand(raw))

    def _set_cancel_at_period_end(self, sub: Obj, value: bool) -> None:
        now = self._time_for(self._store["customers"].get(sub["customer"]))
        sub["cancel_at_period_end"] = value
        sub["cancel_at"] = _period_end(sub) if value else None
        sub["canceled_at"] = now if value else None
        sub["cancellation_details"]["reason"] = "cancellation_requested" if value else None

    def _end(self, sub: Obj, at: int, reason: str, request: RequestInfo) -> None:
        sub.update(status="canceled", ended_at=at, canceled_at=sub["canceled_at"] or at)
        sub["cancellation_details"]["reason"] = sub["cancellation_details"]["reason"] or reason
        self._emit("customer.subscription.deleted", sub, request)


def _period_end(sub: Obj) -> int:
    return int(min(item["current_period_end"] for item in sub["items"]["data"]))
