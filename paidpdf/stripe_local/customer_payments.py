"""The customer's side of a checkout: paying on the hosted page (card, delayed, declined), settling a
delayed payment, and the PaymentIntents and Charges that result."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from paidpdf.stripe_local import billing_objects, checkout_tax, currencies, objects, params, payment_objects
from paidpdf.stripe_local.account import CUSTOMER, Obj
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.checkout_sessions import Sessions

PAY_METHODS = (
    "card",
    "delayed_success",
    "delayed_failure",
    "delayed",
    "decline",
    "card_fails_later",
    "no_card",
)
#: Methods for `mode=subscription` only: a card that attaches but fails every later charge
#: (4000 0000 0000 0341), and starting a trial without a card (`payment_method_collection=if_required`).
SUBSCRIPTION_ONLY = ("card_fails_later", "no_card")


class Paying(Sessions):
    """What the buyer does on Stripe's page, and the objects it creates."""

    # ------------------------------------------------------------------ paying (the customer's side)

    def pay(
        self,
        session_id: str,
        method: str = "card",
        delay: float | None = None,
        email: str | None = None,
        *,
        country: str | None = None,
        state: str | None = None,
        tax_id: str | None = None,
    ) -> Obj:
        """What the buyer does on the hosted page (`email`: what they typed, when the session was
        created without `customer_email`; the hosted page requires one then, as Stripe's does; the
        test control falls back to buyer@example.com).

        `card`: complete and paid at once. `delayed_success` / `delayed_failure`: complete but unpaid,
        then after `delay` (default `config.async_delay`) seconds the async result. `delayed`: complete
        and unpaid until `settle()` is called. `decline`: raises a 402 card error, the session stays open.
        `country` (default US), `state` and `tax_id` (`eu_vat:DE123456789`): the billing address and
        tax id typed on the page, from which a taxed session's tax is computed (`checkout_tax`).
        """
        if method not in PAY_METHODS:
            raise invalid("method", f"Invalid method: must be one of {', '.join(PAY_METHODS)}")
        with self._lock:
            self._sweep()
            session = self._require(session_id, "sessions", "session")
            if session["status"] == "expired":
                raise ApiError(
                    "This Checkout Session has expired and can no longer be paid.",
                    code="checkout_session_expired",
                    param="session",
                )
            if session["status"] == "complete":
                raise ApiError(
                    "This Checkout Session is already complete.",
                    code="checkout_session_complete",
                    param="session",
                )
            if method == "decline":
                raise ApiError(
                    "Your card was declined.",
                    status=402,
                    type="card_error",
                    code="card_declined",
                    decline_code="generic_decline",
                    param="payment_method",
                )
            typed = params.email(email.strip(), "email") if email else "buyer@example.com"
            email = session["customer_email"] or typed
            details = objects.customer_details(email)
            if checkout_tax.wants_address(session) or tax_id:
                details = checkout_tax.buyer_details(details, country, state, tax_id, session)
            if session["mode"] == "subscription":
                self._complete_subscription(session, method, email, details)
                self._save()
                return self.render(session, [])
            if method in SUBSCRIPTION_ONLY:
                raise invalid("method", f"method={method} is only for subscription-mode sessions")
            now = self.now()
            session["customer_details"] = details
            checkout_tax.apply_tax(session, self._private[session_id]["line_items"])
            kind = "card" if method == "card" else "us_bank_account"
            intent = payment_objects.payment_intent(
                session, self._private[session_id]["payment_intent_data"], now, kind
            )
            charge = payment_objects.charge(intent, email, now, kind)
            intent["latest_charge"] = charge["id"]
            shown = currencies.presentment(session, email)  # Adaptive Pricing: what the buyer saw
            session["presentment_details"] = intent["presentment_details"] = shown
            charge["presentment_details"] = shown
            customer = self._payment_customer(session, email)
            intent["customer"] = charge["customer"] = customer
            self._store["intents"][intent["id"]] = intent
            self._store["charges"][charge["id"]] = charge
            session.update(customer=customer, payment_intent=intent["id"])
            objects.completed(session)
            self._emit("payment_intent.created", intent, CUSTOMER)
            if method == "card":
                self._succeed(charge, intent)
                session["payment_status"] = "paid"
            if session["invoice_creation"] and session["invoice_creation"]["enabled"]:
                self._checkout_invoice(session, now)
            if method != "card":
                self._emit("payment_intent.processing", intent, CUSTOMER)
                self._emit("charge.pending", charge, CUSTOMER)
            self._emit("checkout.session.completed", session, CUSTOMER)
            if method in ("delayed_success", "delayed_failure"):
                outcome = "succeeded" if method == "delayed_success" else "failed"
                self._async_pending += 1
                wait = self.config.async_delay if delay is None else delay
                self.scheduler.call_later(wait, lambda: self._settle_later(session_id, outcome))
            self._save()
            return self.render(session, [])

    def _checkout_invoice(self, session: Obj, now: int) -> None:
        """The invoice `invoice_creation` asks for, issued as the session completes (paid with it)."""
        number = f"LOCAL-{len(self._store['invoices']) + 1:04d}"
        inv = checkout_tax.checkout_invoice(
            session, self._private[session["id"]]["line_items"], now, number, self.public_url
        )
        self._store["invoices"][inv["id"]] = inv
        session["invoice"] = inv["id"]

    def _payment_customer(self, session: Obj, email: str) -> str | None:
        """The customer a payment-mode checkout pays as: the session's `customer`, or a new one when
        `customer_creation=always` (as on Stripe); None otherwise (a guest payment)."""
        if session["customer"] or session["customer_creation"] != "always":
            return str(session["customer"]) if session["customer"] else None
        customer = billing_objects.customer({"email": email}, self.now())
        self._store["customers"][customer["id"]] = customer
        self._emit("customer.created", customer, CUSTOMER)
        return str(customer["id"])

    def _complete_subscription(self, session: Obj, method: str, email: str, details: Obj) -> None:
        """Finish a `mode=subscription` checkout (see `subscriptions`)."""
        raise NotImplementedError

    def settle(self, session_id: str, outcome: str) -> Obj:
        """Finish a delayed payment: `succeeded` or `failed` (sends the async checkout event)."""
        if outcome not in ("succeeded", "failed"):
            raise invalid("outcome", "Invalid outcome: must be one of succeeded, failed")
        with self._lock:
            session = self._require(session_id, "sessions", "session")
            intent = self._store["intents"].get(session["payment_intent"] or "")
            if session["status"] != "complete" or intent is None or intent["status"] != "processing":
                raise ApiError(
                    "This Checkout Session has no payment in processing to settle.", param="session"
                )
            charge = self._store["charges"][intent["latest_charge"]]
            if outcome == "succeeded":
                self._succeed(charge, intent)
                session["payment_status"] = "paid"
                inv = self._store["invoices"].get(session["invoice"] or "")
                if inv is not None:
                    inv.update(status="paid", amount_paid=inv["amount_due"], amount_remaining=0)
                self._emit("checkout.session.async_payment_succeeded", session, CUSTOMER)
            else:
                charge.update(
                    status="failed",
                    failure_code="insufficient_funds",
                    failure_message="The customer's account has insufficient funds to cover this payment.",
                    outcome={
                        "network_status": "declined_by_network",
                        "reason": "insufficient_funds",
                        "risk_level": "normal",
                        "seller_message": "The bank returned the decline code `insufficient_funds`.",
                        "type": "issuer_declined",
                    },
                )
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "code": "payment_method_customer_decline",
                        "message": charge["failure_message"],
                        "type": "card_error",
                        "charge": charge["id"],
                    },
                )
                self._emit("charge.failed", charge, CUSTOMER)
                self._emit("payment_intent.payment_failed", intent, CUSTOMER)
                self._emit("checkout.session.async_payment_failed", session, CUSTOMER)
            self._save()
            return self.render(session, [])

    def _settle_later(self, session_id: str, outcome: str) -> None:
        with self._lock:
            self._async_pending -= 1
            with contextlib.suppress(ApiError):  # settled by hand in the meantime
                self.settle(session_id, outcome)
            self._changed.notify_all()

    def _succeed(self, charge: Obj, intent: Obj) -> None:
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=charge["amount"],
            outcome=payment_objects.succeeded_outcome(),
            receipt_url=f"{self.public_url}/receipts/{charge['id']}",
        )
        intent.update(status="succeeded", amount_received=intent["amount"])
        self._emit("charge.succeeded", charge, CUSTOMER)
        self._emit("payment_intent.succeeded", intent, CUSTOMER)

    # ------------------------------------------------------------------ payment intents, charges

    def get_payment_intent(self, intent_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(intent_id, "intents", "intent"), list(expand))

    def get_charge(self, charge_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(charge_id, "charges", "charge"), list(expand))
