"""Customers (`/v1/customers`), their card payment methods (`/v1/payment_methods`) and test clocks
(`/v1/test_helpers/test_clocks`): the parts of Stripe Billing that hold who pays, with what, and when
"now" is for them."""

from __future__ import annotations

from collections.abc import Iterable

from paidpdf.stripe_local import billing_objects, billing_params, params
from paidpdf.stripe_local.account import CUSTOMER, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.refunds_disputes import RefundsAndDisputes


class Customers(RefundsAndDisputes):
    """Customers, payment methods and test clocks."""

    #: While time moves (`subscriptions._bill`), the moment being played, for every "now".
    _at: int | None = None

    # ------------------------------------------------------------------ customers

    def create_customer(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        values = billing_params.customer(raw, creating=True)
        expand = params.expand(raw)
        with self._lock:
            clock = values.get("test_clock")
            if clock:
                self._require(clock, "test_clocks", "test_clock")
            created = self._store["test_clocks"][clock]["frozen_time"] if clock else self.now()
            cust = billing_objects.customer(values, created)
            self._store["customers"][cust["id"]] = cust
            self._emit("customer.created", cust, request)
            token = values.get("payment_method")
            attached = self._attach(token, cust, request) if token else None
            default = values.get("default_payment_method")
            if default:
                self._set_default_method(cust, attached if default == token else None, default, request)
            self._save()
            return self.render(cust, expand)

    def get_customer(self, customer_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(customer_id, "customers", "customer"), list(expand))

    def update_customer(self, customer_id: str, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        values = billing_params.customer(raw, creating=False)
        expand = params.expand(raw)
        with self._lock:
            cust = self._require(customer_id, "customers", "customer")
            before = self.render(cust, [])
            for name in ("email", "name", "description", "metadata"):
                if name in values:
                    cust[name] = values[name]
            if "default_payment_method" in values:
                self._set_default_method(cust, None, values["default_payment_method"], request, emit=False)
            self._emit_updated("customer.updated", cust, before, request)
            self._save()
            return self.render(cust, expand)

    def list_customers(self, raw: Obj) -> Obj:
        params.check_known(
            raw, {"created", "email", "ending_before", "expand", "limit", "starting_after", "test_clock"}
        )
        created = params.range_filter(raw, "created")
        email = params.string(raw["email"], "email", 512) if params.present(raw.get("email")) else None
        clock = (
            params.string(raw["test_clock"], "test_clock") if params.present(raw.get("test_clock")) else None
        )
        with self._lock:
            found = [
                c
                for c in reversed(self._store["customers"].values())
                if params.in_range(c["created"], created)
                and (email is None or c["email"] == email)
                and (clock is None or c["test_clock"] == clock)
            ]
            return self._page(found, raw, "/v1/customers", "customer")

    def _set_default_method(
        self, cust: Obj, attached: Obj | None, method: str | None, request: RequestInfo, emit: bool = True
    ) -> None:
        """Point `invoice_settings.default_payment_method` at a card of this customer. A test token
        (`pm_card_chargeCustomerFail`) is attached first, as a convenience of the stand-in."""
        before = self.render(cust, [])
        if method is None:
            cust["invoice_settings"]["default_payment_method"] = None
        else:
            if attached is None and method in billing_objects.CARD_TOKENS:
                attached = self._attach(method, cust, request)
            found = attached or self._store["payment_methods"].get(method)
            if found is None or found["customer"] != cust["id"]:
                raise invalid(
                    "invoice_settings[default_payment_method]",
                    f"The customer does not have a payment method with the ID {method}. The payment method "
                    "must be attached to the customer.",
                    "resource_missing",
                )
            cust["invoice_settings"]["default_payment_method"] = found["id"]
        if emit:
            self._emit_updated("customer.updated", cust, before, request)

    # ------------------------------------------------------------------ payment methods

    def attach_payment_method(self, token: str, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        params.check_known(raw, {"customer", "expand"})
        if not params.present(raw.get("customer")):
            raise ApiError("Missing required param: customer.", param="customer", code="parameter_missing")
        with self._lock:
            cust = self._require(params.string(raw["customer"], "customer"), "customers", "customer")
            method = self._attach(token, cust, request)
            self._save()
            return self.render(method, params.expand(raw))

    def get_payment_method(self, method_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(method_id, "payment_methods", "payment_method"), list(expand))

    def _attach(self, token: str, cust: Obj, request: RequestInfo) -> Obj:
        """Attach a card test token to `cust` (a new `pm_...`); the decline card is refused like Stripe."""
        if token not in billing_objects.CARD_TOKENS:
            existing = self._store["payment_methods"].get(token)
            if existing is None:
                raise ApiError(
                    f"No such PaymentMethod: '{token}' (the stand-in knows the test tokens "
                    f"{', '.join(billing_objects.CARD_TOKENS)})",
                    status=404,
                    param="payment_method",
                    code="resource_missing",
                )
            if existing["customer"] not in (None, cust["id"]):
                raise ApiError(
                    "The payment method you provided has already been attached to a customer.",
                    param="payment_method",
                )
            existing["customer"] = cust["id"]
            return existing
        if billing_objects.CARD_TOKENS[token][2] == "attach_fails":
            raise ApiError(
                "Your card was declined.",
                status=402,
                type="card_error",
                code="card_declined",
                decline_code="generic_decline",
                param="payment_method",
            )
        method = billing_objects.payment_method(token, cust["id"], cust["email"], self._time_for(cust))
        self._store["payment_methods"][method["id"]] = method
        self._private[method["id"]] = {"fails": billing_objects.CARD_TOKENS[token][2] == "charge_fails"}
        self._emit("payment_method.attached", method, request)
        return method

    def _method_fails(self, method_id: str | None) -> bool:
        return bool(method_id and self._private.get(method_id, {}).get("fails"))

    # ------------------------------------------------------------------ test clocks

    def create_test_clock(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        params.check_known(raw, {"expand", "frozen_time", "name"})
        if not params.present(raw.get("frozen_time")):
            raise ApiError(
                "Missing required param: frozen_time.", param="frozen_time", code="parameter_missing"
            )
        frozen = params.integer(raw["frozen_time"], "frozen_time")
        name = params.string(raw["name"], "name", 300) if params.present(raw.get("name")) else None
        with self._lock:
            clock = billing_objects.test_clock(frozen, name, self.now())
            self._store["test_clocks"][clock["id"]] = clock
            self._emit("test_helpers.test_clock.created", clock, request)
            self._save()
            return self.render(clock, params.expand(raw))

    def get_test_clock(self, clock_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(clock_id, "test_clocks", "test_clock"), list(expand))

    def list_test_clocks(self, raw: Obj) -> Obj:
        params.check_known(raw, {"ending_before", "expand", "limit", "starting_after"})
        with self._lock:
            found = list(reversed(self._store["test_clocks"].values()))
            return self._page(found, raw, "/v1/test_helpers/test_clocks", "test_clock")

    def delete_test_clock(self, clock_id: str, request: RequestInfo = CUSTOMER) -> Obj:
        """Deleting a clock deletes its customers and their subscriptions, as on Stripe."""
        with self._lock:
            clock = self._require(clock_id, "test_clocks", "test_clock")
            gone = {c for c, cust in self._store["customers"].items() if cust["test_clock"] == clock_id}
            for table, key in (("subscriptions", "customer"), ("invoices", "customer")):
                for object_id in [o for o, obj in self._store[table].items() if obj[key] in gone]:
                    del self._store[table][object_id]
            for customer_id in gone:
                del self._store["customers"][customer_id]
            del self._store["test_clocks"][clock_id]
            self._emit("test_helpers.test_clock.deleted", clock, request)
            self._save()
            return {"id": clock_id, "object": "test_helpers.test_clock", "deleted": True}

    # ------------------------------------------------------------------ time

    def _time_for(self, cust: Obj | None) -> int:
        """ "Now" for a customer: its test clock's frozen time, else the account's clock."""
        if self._at is not None:
            return self._at
        clock_id = cust.get("test_clock") if cust else None
        if clock_id and clock_id in self._store["test_clocks"]:
            return int(self._store["test_clocks"][clock_id]["frozen_time"])
        return self.now()

    def _emit_updated(self, event_type: str, obj: Obj, before: Obj, request: RequestInfo) -> Obj | None:
        """`*.updated` with Stripe's `previous_attributes` (the top-level fields that changed); nothing
        when nothing changed."""
        after = self.render(obj, [])
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if not previous:
            return None
        return self._emit(event_type, obj, request, previous=previous)
