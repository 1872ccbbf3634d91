"""Checkout: the Buy button and the success page, on top of the Stripe adapter.

Amount and currency come from the catalog only; a double click reuses the pending order and, through
the per-order idempotency key, its Checkout Session. A limited discount code held by unpaid checkouts
past their hold (`promos.CodeHeld`) is taken over by expiring those sessions at Stripe first
(`_release_stale`). The success page proves nothing by its URL: the
session is fetched from Stripe and goes through the same `fulfilment.fulfil` as the webhook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from paidpdf.config import Settings
from paidpdf.content import bundles, catalog, shop, tax_codes
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import AccessDenied, AuthRequired, InvalidInput, NotFound, PaymentProviderError
from paidpdf.languages import N_
from paidpdf.licenses import records as license_records
from paidpdf.money import parse_chosen_amount
from paidpdf.ownership import library
from paidpdf.sales import checkout_currency, checkout_locale, fulfilment, orders, promos, tax_checkout
from paidpdf.sales.stripe_gateway import expire_session, livemode, provider_errors, retrieve_session
from paidpdf.store import CATALOG, DataStore, Doc

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe


@dataclass(frozen=True)
class CheckoutStart:
    """What `start_checkout` decided: `owned` and `free` need no payment; `redirect` goes to `url`."""

    kind: str
    item: Doc
    order: Doc | None = None
    url: str = ""


def start_checkout(
    store: DataStore,
    client: stripe.StripeClient,
    settings: Settings,
    *,
    user: Mapping[str, Any] | None,
    content_id: str,
    guest_token: str | None = None,
    amount_text: str = "",
    code: str = "",
    currency: str | None = None,
    locale: str | None = None,
) -> CheckoutStart:
    """A pending order and its Checkout Session. The amount comes from the catalog, less a discount
    `code` (`promos`), or for a pay-what-you-want item from `amount_text`, checked against the item's
    minimum (`money.parse_chosen_amount`). Without a `user` it is a guest's: `guest_token` is the
    SHA-256 of the browser's checkout cookie, and Stripe Checkout asks for the email the purchase
    goes to. The checkout is in the visitor's `currency` when the item has a price there
    (`checkout_currency`), and Stripe's page speaks the reader's `locale` (`checkout_locale`)."""
    item = catalog.get_item(store, content_id)
    content_id = item["id"]
    if user is not None and library.owns(store.view(orders.SALES), user["id"], content_id):
        return CheckoutStart("owned", item)
    if item.get("status") != "active":
        raise NotFound(f"item {content_id!r} is not for sale")
    sold = checkout_currency.sold_in(item, currency, settings)
    item = sold.doc
    if item.get("pay_what_you_want"):
        chosen = parse_chosen_amount(amount_text, str(item["currency"]), int(item["price"]))
        priced = promos.Priced(chosen, None, chosen)
    else:
        priced = promos.price_with(store.view(orders.SALES), item, code)
    if priced.amount == 0 and priced.code is not None:
        return _free_with_code(store, client, settings, user, item, priced.code)
    if priced.amount == 0:
        return CheckoutStart("free", item)
    return _checkout(
        store, client, settings, item, user, guest_token, priced, adaptive=sold.adaptive, locale=locale
    )


def start_bundle_checkout(
    store: DataStore,
    client: stripe.StripeClient,
    settings: Settings,
    *,
    user: Mapping[str, Any] | None,
    bundle_id: str,
    guest_token: str | None = None,
    currency: str | None = None,
    locale: str | None = None,
) -> CheckoutStart:
    """A bundle's checkout: its price (in the visitor's `currency` when it has one there), and the
    items it holds now fixed on the order (`bundle_items`) so that fulfilment grants exactly those. A
    reader who owns every item already has nothing to buy."""
    bundle = bundles.get(store, bundle_id)
    if bundle.get("status") != "active":
        raise NotFound(f"bundle {bundle_id!r} is not for sale")
    if user is not None:
        view = store.view(orders.SALES)
        if all(library.owns(view, user["id"], i) for i in bundle["items"]):
            return CheckoutStart("owned", bundle)
    sold = checkout_currency.sold_in(bundle, currency, settings)
    price = int(sold.doc["price"])
    priced = promos.Priced(price, None, price)
    return _checkout(
        store, client, settings, sold.doc, user, guest_token, priced, list(bundle["items"]),
        adaptive=sold.adaptive, locale=locale,
    )


def _checkout(
    store: DataStore,
    client: stripe.StripeClient,
    settings: Settings,
    item: Doc,
    user: Mapping[str, Any] | None,
    guest_token: str | None,
    priced: promos.Priced,
    bundle_items: list[str] | None = None,
    *,
    adaptive: bool = False,
    locale: str | None = None,
) -> CheckoutStart:
    """The pending order (reused on a double click) and its Checkout Session."""
    base = settings.base_url.rstrip("/")
    mode = livemode(settings)
    for attempt in range(3 + STALE_ROUNDS):
        try:
            order = orders.create_pending(
                store,
                user_id=user["id"] if user else None,
                buyer=user["email"] if user else None,
                content_id=item["id"],
                amount=priced.amount,
                currency=str(item["currency"]).lower(),
                livemode=mode,
                guest_token=None if user else guest_token,
                promo=priced.code,
                list_price=priced.list_price,
                bundle_items=bundle_items,
                hold=hold_of(settings),
                tax_behavior=tax_checkout.tax_behavior(settings),
            )
        except promos.CodeHeld as held:
            _release_stale(store, client, settings, held, attempt)
            continue
        if not order.get("stripe_session_id"):
            return _new_session(store, client, settings, item, order, adaptive, locale)
        # A recent pending order (double click, back button) already has a session: reuse it while it
        # is open; otherwise settle the order from it and start again with a fresh order.
        session = retrieve_session(client, order["stripe_session_id"])
        if session.get("status") == "open" and session.get("url"):
            return CheckoutStart("redirect", item, order, str(session["url"]))
        if session.get("status") == "expired":
            fulfilment.expire(store, session, source="shop")
            continue
        outcome = fulfilment.fulfil(store, session, livemode=mode, source="shop")
        if outcome.granted:
            return CheckoutStart("owned", item, outcome.order)
        if outcome.order is not None and outcome.order["status"] == "pending":  # delayed payment under way
            return CheckoutStart(
                "redirect", item, outcome.order, f"{base}/checkout/success?session_id={session['id']}"
            )
    raise PaymentProviderError("could not start a checkout; please try again")


def _new_session(
    store: DataStore, client: stripe.StripeClient, settings: Settings, item: Doc, order: Doc,
    adaptive: bool = False,
    locale: str | None = None,
) -> CheckoutStart:
    """The order's Checkout Session, with what the tax mode adds (`tax_checkout`)."""
    base = settings.base_url.rstrip("/")
    content_id = item["id"]
    price = {
        "currency": order["currency"],
        "unit_amount": order["amount"],
        "product_data": {
            "name": f"{item['title']} · {shop.identity(store)['name']}",
            "metadata": {"content_id": content_id},
        },
    }
    code = _code(store, item, order.get("bundle_items"))
    reference = {"order_id": order["id"], "content_id": content_id, "user_id": order["user_id"] or "guest"}
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": tax_checkout.price_data(settings, price, code)}],
        "client_reference_id": order["id"],
        "metadata": reference,
        "payment_intent_data": {"metadata": reference},
        # a guest's email is asked by Checkout itself (customer_details.email on the completed session)
        **({"customer_email": order["buyer"]} if order["buyer"] else {}),
        # a limited code's reservation lasts as long as the session (see `promos`)
        **({"expires_at": promos.session_expiry()} if order.get("promo") else {}),
        "success_url": f"{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/checkout/cancel?order={order['id']}",
        **tax_checkout.session_params(settings),
        **checkout_currency.session_params(adaptive),
        **checkout_locale.session_params(locale),
    }
    with provider_errors():
        session = client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"paidpdf-checkout-{order['id']}"},
        )
    order = orders.attach_session(store, order["id"], session.id)
    return CheckoutStart("redirect", item, order, str(session.url))


def _code(store: DataStore, item: Doc, bundle_items: list[str] | None) -> str | None:
    """The product tax code of an item, or of a bundle (one line for all its items)."""
    if bundle_items is not None:
        view = store.view(CATALOG)
        held = [found for i in bundle_items if (found := view.get(catalog.CONTENT, i)) is not None]
        return tax_codes.bundle_tax_code(held)
    return tax_codes.item_tax_code(item)


def _free_with_code(
    store: DataStore,
    client: stripe.StripeClient,
    settings: Settings,
    user: Mapping[str, Any] | None,
    item: Doc,
    code: str,
) -> CheckoutStart:
    """A code that takes the whole price off: the item is the reader's at once (no payment, so no
    order), and the use is counted in the same unit that checks the code's limit."""
    if user is None:
        raise AuthRequired(N_("log in to take this item with your code"))
    secret = shop_secret(store)
    for attempt in range(STALE_ROUNDS + 1):
        try:
            with store.unit(orders.SALES) as unit:
                promos.reserve(unit, code, hold_of(settings))
                library.add(unit, user["id"], item["id"], "promo")
                license_records.issue_for_grant(unit, secret, user["id"], item["id"])
                promos.count_use(unit, code)
            return CheckoutStart("owned", item)
        except promos.CodeHeld as held:
            _release_stale(store, client, settings, held, attempt)
    raise InvalidInput(promos.USED_UP)


#: Rounds of expiring stale checkouts one Buy may go through (others may take the freed uses first).
STALE_ROUNDS = 3


def hold_of(settings: Settings) -> timedelta:
    """How long an unpaid checkout holds a limited code's use (`PAIDPDF_CODE_HOLD_MINUTES`)."""
    return timedelta(minutes=settings.limits.code_hold_minutes)


def _release_stale(
    store: DataStore, client: stripe.StripeClient, settings: Settings, held: promos.CodeHeld, attempt: int
) -> None:
    """Free the uses a newcomer needs from unpaid checkouts past their hold: each stale session,
    oldest first, is expired at Stripe and its order closed. Stripe refuses when the buyer completed
    the checkout meanwhile; that session is settled from Stripe's own answer instead (paid, or
    awaiting a delayed payment: either way it keeps its use, and the newcomer is refused when no
    use is left). Past `STALE_ROUNDS` (others keep taking the freed uses) the code is used up."""
    if attempt >= STALE_ROUNDS:
        raise InvalidInput(promos.USED_UP)
    mode = livemode(settings)
    freed = 0
    for session_id in held.sessions:
        if freed >= held.needed:
            break
        try:
            expired = expire_session(client, session_id)
            session = expired if expired is not None else retrieve_session(client, session_id)
        except NotFound:  # unknown to Stripe under this key: nothing can ever pay it
            session = {"id": session_id, "status": "expired"}
        if session.get("status") == "expired":
            if fulfilment.expire(store, session, source="shop (code held too long)").action == "expired":
                freed += 1
        else:
            fulfilment.fulfil(store, session, livemode=mode, source="shop")


def confirm_return(
    store: DataStore, client: stripe.StripeClient, settings: Settings, *, session_id: str, user_id: str | None
) -> orders.Outcome:
    """The success page: the session is fetched from Stripe (the URL alone proves nothing), must be
    the logged-in buyer's (`user_id`) or, for a visitor who is not logged in (None), a guest's; it
    goes through the same `fulfil` as the webhook."""
    session = retrieve_session(client, session_id)
    order_id = session.get("client_reference_id")
    found = store.view(orders.SALES).get(orders.ORDERS, order_id) if isinstance(order_id, str) else None
    if found is None:
        raise NotFound(N_("no such checkout for this account"))
    if user_id is None and found.get("guest_token") is None:
        raise AccessDenied(N_("log in to see this checkout"))
    if user_id is not None and found["user_id"] != user_id and found.get("guest_token") is None:
        raise NotFound(N_("no such checkout for this account"))
    return fulfilment.fulfil(store, session, livemode=livemode(settings), source="success page")
