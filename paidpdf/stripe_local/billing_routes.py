"""The Stripe Billing API routes (`/v1/customers`, `/v1/subscriptions`, `/v1/invoices`,
`/v1/invoice_payments`, `/v1/payment_methods`, `/v1/billing_portal/sessions`,
`/v1/test_helpers/test_clocks`): each maps its parameters to one `StandIn` call."""

from __future__ import annotations

from typing import Any

import bottle

from paidpdf.stripe_local import params
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.standin import RequestInfo, StandIn
from paidpdf.stripe_local.wire import api_route


def install(app: bottle.Bottle, core: StandIn, config: Config) -> None:
    api = api_route(app, core, config)

    def retrieve(path: str, getter: Any) -> None:
        def handler(raw: dict[str, Any], info: RequestInfo, **url_args: str) -> Any:
            params.check_known(raw, {"expand"})
            (object_id,) = url_args.values()
            return getter(object_id, params.expand(raw))

        api("GET", path)(handler)

    def listing(path: str, lister: Any) -> None:
        api("GET", path)(lambda raw, info: lister(raw))

    def creating(path: str, creator: Any) -> None:
        api("POST", path)(lambda raw, info: creator(raw, info))

    def acting(path: str, action: Any, method: str = "POST") -> None:
        def handler(raw: dict[str, Any], info: RequestInfo, **url_args: str) -> Any:
            (object_id,) = url_args.values()
            return action(object_id, raw, info)

        api(method, path)(handler)

    creating("/v1/customers", core.create_customer)
    listing("/v1/customers", core.list_customers)
    retrieve("/v1/customers/<customer_id>", core.get_customer)
    acting("/v1/customers/<customer_id>", core.update_customer)

    retrieve("/v1/payment_methods/<method_id>", core.get_payment_method)
    acting("/v1/payment_methods/<method_id>/attach", core.attach_payment_method)

    listing("/v1/subscriptions", core.list_subscriptions)
    retrieve("/v1/subscriptions/<sub_id>", core.get_subscription)
    acting("/v1/subscriptions/<sub_id>", core.update_subscription)
    acting("/v1/subscriptions/<sub_id>", core.cancel_subscription, "DELETE")

    listing("/v1/invoices", core.list_invoices)
    retrieve("/v1/invoices/<invoice_id>", core.get_invoice)
    acting("/v1/invoices/<invoice_id>/pay", core.pay_invoice)
    listing("/v1/invoice_payments", core.list_invoice_payments)
    retrieve("/v1/invoice_payments/<payment_id>", core.get_invoice_payment)

    creating("/v1/billing_portal/sessions", core.create_portal_session)

    creating("/v1/test_helpers/test_clocks", core.create_test_clock)
    listing("/v1/test_helpers/test_clocks", core.list_test_clocks)
    retrieve("/v1/test_helpers/test_clocks/<clock_id>", core.get_test_clock)
    acting("/v1/test_helpers/test_clocks/<clock_id>/advance", core.advance_test_clock)

    @api("DELETE", "/v1/test_helpers/test_clocks/<clock_id>")
    def delete_clock(raw: dict[str, Any], info: RequestInfo, clock_id: str) -> Any:
        return core.delete_test_clock(clock_id, info)
