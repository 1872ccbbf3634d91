"""Invoices (`/v1/invoices`, `/v1/invoice_payments`): created and finalized for each period of a
subscription, charged to the customer's card through a PaymentIntent and Charge like a checkout's
(so `/v1/refunds` and disputes work on them unchanged), paid or failed."""

from __future__ import annotations

from collections.abc import Iterable

from paidpdf.stripe_local import invoice_objects, invoice_tax, params, payment_objects
from paidpdf.stripe_local.account import CUSTOMER, Obj, RequestInfo, public
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.customers import Customers

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
DECLINED = "Your card was declined."


class Invoicing(Customers):
    """Invoices of subscriptions: creation, finalization, payment attempts and the API to read them."""

    # ------------------------------------------------------------------ the API

    def get_invoice(self, invoice_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(invoice_id, "invoices", "invoice"), list(expand))

    def list_invoices(self, raw: Obj) -> Obj:
        params.check_known(
            raw,
            {
                "collection_method",
                "created",
                "customer",
                "due_date",
                "ending_before",
                "expand",
                "limit",
                "starting_after",
                "status",
                "subscription",
            },
        )
        created = params.range_filter(raw, "created")
        cust = params.string(raw["customer"], "customer") if params.present(raw.get("customer")) else None
        sub = (
            params.string(raw["subscription"], "subscription")
            if params.present(raw.get("subscription"))
            else None
        )
        status = (
            params.enum(raw["status"], "status", INVOICE_STATUSES)
            if params.present(raw.get("status"))
            else None
        )
        with self._lock:
            found = [
                i
                for i in reversed(self._store["invoices"].values())
                if params.in_range(i["created"], created)
                and (cust is None or i["customer"] == cust)
                and (sub is None or _subscription_of(i) == sub)
                and (status is None or i["status"] == status)
            ]
            return self._page(found, raw, "/v1/invoices", "invoice")

    def pay_invoice(self, invoice_id: str, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        """`POST /v1/invoices/{id}/pay`: charge an open invoice now (with `payment_method`, or the
        customer's default card). A declined card is Stripe's 402 and `invoice.payment_failed`."""
        params.check_known(
            raw,
            {"expand", "forgive", "mandate", "off_session", "paid_out_of_band", "payment_method", "source"},
        )
        method = (
            params.string(raw["payment_method"], "payment_method")
            if params.present(raw.get("payment_method"))
            else None
        )
        with self._lock:
            inv = self._require(invoice_id, "invoices", "invoice")
            if inv["status"] != "open":
                raise ApiError(
                    f"Invoice is already {inv['status']}.", code="invoice_not_open", param="invoice"
                )
            if method is not None:
                method = self._attach(method, self._store["customers"][inv["customer"]], request)["id"]
            paid = self._collect(inv, request, method)
            self._after_attempt(inv, paid, request)
            self._save()
            if not paid:
                raise ApiError(
                    DECLINED,
                    status=402,
                    type="card_error",
                    code="card_declined",
                    decline_code="generic_decline",
                )
            return self.render(inv, params.expand(raw))

    def get_invoice_payment(self, payment_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(payment_id, "invoice_payments", "invoice_payment"), list(expand))

    def list_invoice_payments(self, raw: Obj) -> Obj:
        params.check_known(
            raw, {"ending_before", "expand", "invoice", "limit", "payment", "starting_after", "status"}
        )
        invoice = params.string(raw["invoice"], "invoice") if params.present(raw.get("invoice")) else None
        intent = None
        if params.present(raw.get("payment")):
            payment = params.hash_(raw["payment"], "payment")
            params.check_known(payment, {"payment_intent", "payment_record", "type"}, "payment")
            if params.present(payment.get("payment_intent")):
                intent = params.string(payment["payment_intent"], "payment[payment_intent]")
        with self._lock:
            found = [
                p
                for p in reversed(self._store["invoice_payments"].values())
                if (invoice is None or p["invoice"] == invoice)
                and (intent is None or p["payment"]["payment_intent"] == intent)
            ]
            return self._page(found, raw, "/v1/invoice_payments", "invoice_payment")

    def _expand_special(self, obj: Obj, head: str) -> Obj | None:
        if obj.get("object") == "invoice" and head == "payments":
            data = [public(p) for p in self._payments_of(obj["id"])]
            return {
                "object": "list",
                "data": data,
                "has_more": False,
                "url": f"/v1/invoices/{obj['id']}/payments",
            }
        return None

    # ------------------------------------------------------------------ the life of an invoice

    def _new_invoice(self, sub: Obj, reason: str, period: tuple[int, int], request: RequestInfo) -> Obj:
        """Create, then finalize, the invoice of one period (`invoice.created`, `invoice.finalized`)."""
        cust = self._store["customers"][sub["customer"]]
        now = self._time_for(cust)
        number = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
        cust["next_invoice_sequence"] += 1
        names = self._private.get(sub["id"], {}).get("names", {})
        inv = invoice_objects.invoice(sub, cust, reason, period, now, number, names)
        place = self._private.get(sub["id"], {}).get("tax_place")
        if place is not None and sub["automatic_tax"]["enabled"]:  # Stripe Tax on every invoice
            invoice_tax.apply(inv, sub, place)
        self._store["invoices"][inv["id"]] = inv
        self._emit("invoice.created", inv, request)
        inv.update(status="open", effective_at=now)
        inv["status_transitions"]["finalized_at"] = now
        self._emit("invoice.finalized", inv, request)
        sub["latest_invoice"] = inv["id"]
        self._private.setdefault(sub["id"], {}).setdefault("invoices", []).append(inv["id"])
        return inv

    def _payments_of(self, invoice_id: str) -> list[Obj]:
        record = self._store["invoice_payments"].get(self._private.get(invoice_id, {}).get("payment", ""))
        return [record] if record is not None else []

    def _open_invoices(self, sub_id: str) -> list[Obj]:
        """The open invoices of a subscription, from its own list (no scan of every invoice)."""
        ids = self._private.get(sub_id, {}).get("invoices", [])
        found = (self._store["invoices"].get(i) for i in ids)
        return [i for i in found if i is not None and i["status"] == "open"]

    def _collect(self, inv: Obj, request: RequestInfo, method: str | None = None) -> bool:
        """Try to collect `inv` once: True when it is paid. Uses one PaymentIntent per invoice (a new
        Charge per attempt, as Stripe's retries do) and one `invoice_payment` naming it."""
        cust = self._store["customers"][inv["customer"]]
        now = self._time_for(cust)
        if inv["amount_due"] == 0:
            self._mark_paid(inv, now, request)
            return True
        sub = self._store["subscriptions"].get(_subscription_of(inv) or "")
        method = (
            method
            or (sub or {}).get("default_payment_method")
            or cust["invoice_settings"]["default_payment_method"]
        )
        inv["attempt_count"] += 1
        inv["attempted"] = True
        intent = self._invoice_intent(inv, cust, now, request)
        intent["payment_method"] = method
        if method is None:
            intent["last_payment_error"] = {
                "code": "payment_intent_payment_attempt_failed",
                "message": "The customer has no default payment method.",
                "type": "invalid_request_error",
            }
            self._emit("payment_intent.payment_failed", intent, request)
            self._emit("invoice.payment_failed", inv, request)
            return False
        charge = payment_objects.charge(intent, cust["email"], now, "card")
        charge.update(customer=cust["id"], payment_method=method)
        intent["latest_charge"] = charge["id"]
        self._store["charges"][charge["id"]] = charge
        if self._method_fails(method):
            charge.update(
                status="failed",
                failure_code="card_declined",
                failure_message=DECLINED,
                outcome={
                    "network_status": "declined_by_network",
                    "reason": "generic_decline",
                    "risk_level": "normal",
                    "seller_message": "The bank did not return any further details with this decline.",
                    "type": "issuer_declined",
                },
            )
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": DECLINED,
                    "type": "card_error",
                    "charge": charge["id"],
                },
            )
            self._emit("charge.failed", charge, request)
            self._emit("payment_intent.payment_failed", intent, request)
            self._emit("invoice.payment_failed", inv, request)
            return False
        intent["last_payment_error"] = None
        self._succeed(charge, intent)
        self._mark_paid(inv, now, request)
        return True

    def _invoice_intent(self, inv: Obj, cust: Obj, now: int, request: RequestInfo) -> Obj:
        payment = next(iter(self._payments_of(inv["id"])), None)
        if payment is not None and payment["payment"]["payment_intent"]:
            return self._store["intents"][payment["payment"]["payment_intent"]]
        description = (
            "Subscription creation"
            if inv["billing_reason"] == "subscription_create"
            else "Subscription update"
        )
        intent = payment_objects.payment_intent(
            {"amount_total": inv["amount_due"], "currency": inv["currency"]},
            {"description": description, "metadata": {}, "receipt_email": None},
            now,
            "card",
        )
        intent.update(customer=cust["id"], status="requires_payment_method")
        self._store["intents"][intent["id"]] = intent
        self._emit("payment_intent.created", intent, request)
        record = invoice_objects.invoice_payment(inv, intent, now)
        self._store["invoice_payments"][record["id"]] = record
        self._private.setdefault(inv["id"], {})["payment"] = record["id"]
        return intent

    def _mark_paid(self, inv: Obj, now: int, request: RequestInfo) -> None:
        inv.update(
            status="paid", amount_paid=inv["amount_due"], amount_remaining=0, next_payment_attempt=None
        )
        inv["status_transitions"]["paid_at"] = now
        for record in self._payments_of(inv["id"]):
            record.update(status="paid", amount_paid=inv["amount_due"])
            record["status_transitions"]["paid_at"] = now
            self._emit("invoice_payment.paid", record, request)
        self._emit("invoice.paid", inv, request)
        self._emit("invoice.payment_succeeded", inv, request)

    def _after_attempt(self, inv: Obj, paid: bool, request: RequestInfo) -> None:
        """What a payment attempt means for the invoice's subscription (see `subscriptions`)."""


def _subscription_of(inv: Obj) -> str | None:
    details = (inv.get("parent") or {}).get("subscription_details") or {}
    found = details.get("subscription")
    return found if isinstance(found, str) else None
