"""Refunds (`/v1/refunds`) and disputes (opened and closed by tests, as a bank would)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from paidpdf.stripe_local import currencies as currency_rules
from paidpdf.stripe_local import params, payment_objects
from paidpdf.stripe_local.account import CUSTOMER, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.customer_payments import Paying

DISPUTE_REASONS = (
    "bank_cannot_process",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
OPEN_DISPUTE = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")


class RefundsAndDisputes(Paying):
    """Money going back: refunds through the API, disputes through test controls."""

    # ------------------------------------------------------------------ refunds

    def create_refund(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        params.check_known(
            raw,
            {
                "amount",
                "charge",
                "currency",
                "customer",
                "expand",
                "instructions_email",
                "metadata",
                "origin",
                "payment_intent",
                "reason",
                "refund_application_fee",
                "reverse_transfer",
            },
        )
        expand = params.expand(raw)
        meta = params.metadata(raw.get("metadata"), "metadata")
        reason = (
            params.enum(raw["reason"], "reason", ("duplicate", "fraudulent", "requested_by_customer"))
            if params.present(raw.get("reason"))
            else None
        )
        amount = params.integer(raw["amount"], "amount") if params.present(raw.get("amount")) else None
        if amount is not None and amount < 1:
            raise invalid(
                "amount", "This value must be greater than or equal to 1.", "parameter_invalid_integer"
            )
        with self._lock:
            charge = self._charge_for(raw.get("payment_intent"), raw.get("charge"))
            if charge["disputed"]:
                raise ApiError(
                    f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                    code="charge_disputed",
                )
            remaining = charge["amount"] - charge["amount_refunded"]
            if remaining <= 0:
                raise ApiError(
                    f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
                )
            if amount is None:
                amount = remaining
            if amount > remaining:
                raise ApiError(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            refund = payment_objects.refund(charge, amount, reason, meta, self.now())
            refund["presentment_details"] = currency_rules.refund_presentment(charge, amount)
            self._store["refunds"][refund["id"]] = refund
            before = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            self._emit("charge.refunded", charge, request, previous=before)
            self._emit("refund.created", refund, request)
            self._save()
            return self.render(refund, expand)

    def get_refund(self, refund_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(refund_id, "refunds", "refund"), list(expand))

    def _charge_for(self, intent_id: Any, charge_id: Any) -> Obj:
        if params.present(charge_id):
            charge = self._require(params.string(charge_id, "charge"), "charges", "charge")
            if params.present(intent_id) and charge["payment_intent"] != intent_id:
                raise invalid("payment_intent", "The charge does not belong to this payment_intent")
        elif params.present(intent_id):
            intent = self._require(params.string(intent_id, "payment_intent"), "intents", "payment_intent")
            if not intent["latest_charge"]:
                raise ApiError(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                    code="charge_not_refundable",
                )
            charge = self._store["charges"][intent["latest_charge"]]
        else:
            raise ApiError(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        if charge["status"] != "succeeded":
            raise ApiError(
                f"This charge ({charge['id']}) has not succeeded and cannot be refunded or disputed.",
                code="charge_not_refundable",
            )
        return charge

    # ------------------------------------------------------------------ disputes (test controls)

    def create_dispute(
        self,
        payment_intent: str | None = None,
        charge: str | None = None,
        reason: str = "fraudulent",
        amount: int | None = None,
    ) -> Obj:
        """The buyer's bank disputes a payment: `charge.dispute.created` (+ `funds_withdrawn`)."""
        if reason not in DISPUTE_REASONS:
            raise invalid("reason", f"Invalid reason: must be one of {', '.join(DISPUTE_REASONS)}")
        with self._lock:
            charge_obj = self._charge_for(payment_intent, charge)
            if any(
                d["charge"] == charge_obj["id"] and d["status"] in OPEN_DISPUTE
                for d in self._store["disputes"].values()
            ):
                raise ApiError(
                    f"Charge {charge_obj['id']} already has an open dispute.", code="charge_disputed"
                )
            total = charge_obj["amount"] - charge_obj["amount_refunded"]
            amount = total if amount is None else amount
            if not 1 <= amount <= total:
                raise invalid("amount", f"amount must be between 1 and {total}", "parameter_invalid_integer")
            dispute = payment_objects.dispute(charge_obj, amount, reason, self.now())
            self._store["disputes"][dispute["id"]] = dispute
            charge_obj["disputed"] = True
            self._emit("charge.dispute.created", dispute, CUSTOMER)
            self._emit("charge.dispute.funds_withdrawn", dispute, CUSTOMER)
            self._save()
            return self.render(dispute, [])

    def close_dispute(self, dispute_id: str, outcome: str) -> Obj:
        """The bank decides: `won` (funds reinstated) or `lost`; sends `charge.dispute.closed`."""
        if outcome not in ("won", "lost"):
            raise invalid("outcome", "Invalid outcome: must be one of won, lost")
        with self._lock:
            dispute = self._require(dispute_id, "disputes", "dispute")
            if dispute["status"] not in OPEN_DISPUTE:
                raise ApiError(f"Dispute {dispute_id} is already closed ({dispute['status']}).")
            before = {"status": dispute["status"]}
            dispute["status"] = outcome
            self._emit("charge.dispute.closed", dispute, CUSTOMER, previous=before)
            if outcome == "won":
                self._emit("charge.dispute.funds_reinstated", dispute, CUSTOMER)
            self._save()
            return self.render(dispute, [])

    def get_dispute(self, dispute_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(dispute_id, "disputes", "dispute"), list(expand))
