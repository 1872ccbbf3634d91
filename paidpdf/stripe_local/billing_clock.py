"""Time in Stripe Billing: each subscription renews at its period end (a `subscription_cycle` invoice,
charged), is retried on the documented schedule while `past_due`, then canceled (or left `unpaid`),
and ends at the period end after `cancel_at_period_end`.

Time moves when a test clock advances (`advance_test_clock`), when the whole account's clock moves
(`advance_all`, the `/_local/advance` control) or, for customers without a clock, as real time passes
(checked by the sweeper). See docs/stripe-local.md for the retry schedule.
"""

from __future__ import annotations

import time

from paidpdf.stripe_local import params
from paidpdf.stripe_local.account import CUSTOMER, SWEEP_EVERY, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.invoices import _subscription_of
from paidpdf.stripe_local.subscriptions import ENDED, Subscriptions, _period_end, add_interval


class BillingClock(Subscriptions):
    """Renewals, retries and ends as time moves."""

    _next_realtime_billing = 0.0

    def _bill(self, sub: Obj, until: int, request: RequestInfo = CUSTOMER) -> int:
        """Play `sub`'s life up to `until`: renewals, retries, the end. Returns the steps taken."""
        steps = 0
        while sub["status"] not in ENDED and steps < 100_000:  # a guard; `until` bounds it
            end = _period_end(sub)
            retry = min(
                (i for i in self._open_invoices(sub["id"]) if i["next_payment_attempt"]),
                key=lambda i: i["next_payment_attempt"],
                default=None,
            )
            if retry is not None and retry["next_payment_attempt"] <= min(until, end):
                self._at = retry["next_payment_attempt"]
                try:
                    retry["next_payment_attempt"] = None
                    self._after_attempt(retry, self._collect(retry, request), request, automatic=True)
                finally:
                    self._at = None
            elif end <= until:
                self._at = end
                try:
                    self._renew(sub, end, request)
                finally:
                    self._at = None
            else:
                break
            steps += 1
        return steps

    def _renew(self, sub: Obj, end: int, request: RequestInfo) -> None:
        if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= end):
            self._end(sub, end, "cancellation_requested", request)
            return
        state = self._private[sub["id"]]
        state["periods"] += 1
        new_end = add_interval(
            state["anchor"],
            state["interval"]["interval"],
            state["interval"]["interval_count"] * state["periods"],
        )
        before = self.render(sub, [])
        start = min(item["current_period_start"] for item in sub["items"]["data"])
        for item in sub["items"]["data"]:
            item.update(current_period_start=end, current_period_end=new_end)
        inv = self._new_invoice(sub, "subscription_cycle", (start, end), request)
        if sub["status"] == "unpaid":  # Stripe leaves the invoices of an unpaid subscription unattempted
            self._emit_updated("customer.subscription.updated", sub, before, request)
            return
        paid = self._collect(inv, request)
        self._after_attempt(inv, paid, request, automatic=True, before=before)

    def _after_attempt(
        self, inv: Obj, paid: bool, request: RequestInfo, automatic: bool = False, before: Obj | None = None
    ) -> None:
        """A paid invoice makes its subscription `active` (when no other invoice is open); a failed
        automatic attempt makes it `past_due` and schedules the next retry, or ends it after the last."""
        sub = self._store["subscriptions"].get(_subscription_of(inv) or "")
        if sub is None or sub["status"] in ENDED:
            return
        before = before or self.render(sub, [])
        now = self._time_for(self._store["customers"].get(sub["customer"]))
        if paid:
            if not self._open_invoices(sub["id"]):
                sub["status"] = "active"
        elif automatic:
            private = self._private.setdefault(inv["id"], {})
            private["automatic"] = private.get("automatic", 0) + 1
            schedule = self.config.invoice_retry_days
            if private["automatic"] <= len(schedule):
                inv["next_payment_attempt"] = now + schedule[private["automatic"] - 1] * 86400
                if sub["status"] != "unpaid":
                    sub["status"] = "past_due"
            elif self.config.after_final_retry == "unpaid":
                sub["status"] = "unpaid"
            else:
                self._emit_updated("customer.subscription.updated", sub, before, request)
                self._end(sub, now, "payment_failed", request)
                return
        self._emit_updated("customer.subscription.updated", sub, before, request)

    def advance_test_clock(self, clock_id: str, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        """Move a test clock to `frozen_time`: everything due on its customers happens, in order. The
        stand-in does it before answering (`status` is `ready` again in the answer)."""
        params.check_known(raw, {"expand", "frozen_time"})
        if not params.present(raw.get("frozen_time")):
            raise ApiError(
                "Missing required param: frozen_time.", param="frozen_time", code="parameter_missing"
            )
        target = params.integer(raw["frozen_time"], "frozen_time")
        with self._lock:
            clock = self._require(clock_id, "test_clocks", "test_clock")
            if target <= clock["frozen_time"]:
                raise invalid(
                    "frozen_time", "The frozen time must be after the test clock's current frozen time."
                )
            self._advance_clock(clock, target, request)
            self._save()
            return self.render(clock, params.expand(raw))

    def _advance_clock(self, clock: Obj, target: int, request: RequestInfo) -> int:
        clock.update(status="advancing", status_details={"advancing": {"target_frozen_time": target}})
        self._emit("test_helpers.test_clock.advancing", clock, request)
        customers = {c for c, cust in self._store["customers"].items() if cust["test_clock"] == clock["id"]}
        steps = 0
        for sub in list(self._store["subscriptions"].values()):
            if sub["customer"] in customers:
                steps += self._bill(sub, target, request)
        clock.update(frozen_time=target, status="ready", status_details={})
        self._emit("test_helpers.test_clock.ready", clock, request)
        return steps

    def advance_all(self, seconds: int) -> Obj:
        """Move every clock of the account by `seconds`: the account's own (for customers without a
        test clock, and session expiry) and each test clock. For the demo and process-level tests."""
        if seconds <= 0:
            raise invalid("seconds", "Time only moves forward: give a positive duration.")
        with self._lock:
            self._offset += seconds
            steps = 0
            for clock in list(self._store["test_clocks"].values()):
                steps += self._advance_clock(clock, clock["frozen_time"] + seconds, CUSTOMER)
            steps += self._bill_realtime()
            self._sweep()
            self._save()
            return {
                "object": "stripe_local.advance",
                "now": self.now(),
                "seconds": seconds,
                "steps": steps,
                "test_clocks": len(self._store["test_clocks"]),
            }

    def _bill_realtime(self) -> int:
        steps = 0
        for sub in list(self._store["subscriptions"].values()):
            if not sub["test_clock"] and sub["status"] not in ENDED:
                steps += self._bill(sub, self.now())
        return steps

    def _sweep(self) -> None:
        """Also renew subscriptions without a test clock as real time passes, at most once per
        `SWEEP_EVERY` seconds (the sweep runs on many reads; a scan of every subscription should not)."""
        super()._sweep()
        if time.monotonic() >= self._next_realtime_billing:
            self._next_realtime_billing = time.monotonic() + SWEEP_EVERY
            if self._bill_realtime():
                self._save()
