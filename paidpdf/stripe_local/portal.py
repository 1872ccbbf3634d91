"""The customer portal: `POST /v1/billing_portal/sessions` returns a `url` to the stand-in's own portal
page, where the customer cancels (at period end), resumes, pays a failed invoice with a test card,
changes the card and reads the invoices.

The URL is a bearer secret, like Stripe's: an unguessable token, valid for an hour of real time. Each
portal session also has a form token that every POST must carry (the page's CSRF guard).
"""

from __future__ import annotations

import secrets
import time

from paidpdf.stripe_local import billing_objects, page_locales, params
from paidpdf.stripe_local.account import CUSTOMER, Obj, RequestInfo
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.billing_clock import BillingClock
from paidpdf.stripe_local.subscriptions import ENDED

PORTAL_LIFETIME = 3600.0
#: The cards the portal offers: what the customer types, and the test token it stands for.
PORTAL_CARDS = {
    "4242": "pm_card_visa",
    "0341": "pm_card_chargeCustomerFail",
    "0002": "pm_card_visa_chargeDeclined",
}


class Portal(BillingClock):
    """Billing portal sessions and what the portal page does."""

    def create_portal_session(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        params.check_known(
            raw,
            {
                "configuration",
                "customer",
                "customer_account",
                "expand",
                "flow_data",
                "locale",
                "on_behalf_of",
                "return_url",
            },
        )
        if not params.present(raw.get("customer")):
            raise ApiError("Missing required param: customer.", param="customer", code="parameter_missing")
        return_url = (
            params.url(raw["return_url"], "return_url") if params.present(raw.get("return_url")) else None
        )
        locale = page_locales.portal_locale(raw["locale"]) if params.present(raw.get("locale")) else None
        with self._lock:
            cust = self._require(params.string(raw["customer"], "customer"), "customers", "customer")
            token = secrets.token_urlsafe(32)
            session = billing_objects.portal_session(
                cust["id"], return_url, locale, f"{self.public_url}/portal/{token}", self.now()
            )
            self._store["portal_sessions"][session["id"]] = session
            self._private[session["id"]] = {
                "token": token,
                "form_token": secrets.token_urlsafe(24),
                "expires": time.time() + PORTAL_LIFETIME,
            }
            self._emit("billing_portal.session.created", session, request)
            self._save()
            return self.render(session, params.expand(raw))

    def _portal(self, token: str) -> tuple[Obj, Obj]:
        for session_id, session in self._store["portal_sessions"].items():
            private = self._private.get(session_id, {})
            if secrets.compare_digest(private.get("token", ""), token):
                if private["expires"] < time.time():
                    break
                return session, private
        raise ApiError("This portal session has expired or does not exist.", status=404)

    def portal_view(self, token: str) -> Obj:
        """What the portal page shows: the customer, their subscriptions, card and invoices."""
        with self._lock:
            session, private = self._portal(token)
            cust = self._store["customers"][session["customer"]]
            method = self._store["payment_methods"].get(
                cust["invoice_settings"]["default_payment_method"] or ""
            )
            subs = [s for s in self._store["subscriptions"].values() if s["customer"] == cust["id"]]
            invoices = [i for i in self._store["invoices"].values() if i["customer"] == cust["id"]]
            names = {}
            for sub in subs:
                names.update(self._private.get(sub["id"], {}).get("names", {}))
            return {
                "customer": self.render(cust, []),
                "card": self.render(method, []) if method else None,
                "subscriptions": [
                    {
                        **self.render(s, []),
                        "name": ", ".join(names.get(i["id"], "Subscription") for i in s["items"]["data"]),
                    }
                    for s in reversed(subs)
                ],
                "invoices": [self.render(i, []) for i in reversed(invoices)],
                "return_url": session["return_url"],
                "form_token": private["form_token"],
                "now": self._time_for(cust),
            }

    def portal_action(self, token: str, form_token: str, action: str, target: str, card: str) -> str:
        """One POST of the portal page; returns the message to show. Raises ApiError (4xx) for a bad
        form, a foreign object or a declined card (402)."""
        with self._lock:
            session, private = self._portal(token)
            if not secrets.compare_digest(private["form_token"], form_token):
                raise ApiError("This form has expired. Reload the page and try again.", status=403)
            cust = self._store["customers"][session["customer"]]
            if action in ("cancel", "resume"):
                sub = self._store["subscriptions"].get(target)
                if sub is None or sub["customer"] != cust["id"] or sub["status"] in ENDED:
                    raise invalid("subscription", "No such subscription for this customer.")
                before = self.render(sub, [])
                self._set_cancel_at_period_end(sub, action == "cancel")
                self._emit_updated("customer.subscription.updated", sub, before, CUSTOMER)
                message = (
                    "Your subscription will end at the end of the current period."
                    if action == "cancel"
                    else "Your subscription will renew as usual."
                )
            elif action in ("pay", "card"):
                if card not in PORTAL_CARDS:
                    raise invalid("card", "Choose one of the test cards.")
                method = self._attach(PORTAL_CARDS[card], cust, CUSTOMER)
                self._set_default_method(cust, method, method["id"], CUSTOMER)
                message = f"Your card ending in {card} is saved for future payments."
                if action == "pay":
                    inv = self._store["invoices"].get(target)
                    if inv is None or inv["customer"] != cust["id"] or inv["status"] != "open":
                        raise invalid("invoice", "No open invoice to pay.")
                    paid = self._collect(inv, CUSTOMER, method["id"])
                    self._after_attempt(inv, paid, CUSTOMER)
                    if not paid:
                        self._save()
                        raise ApiError(
                            "Your card was declined.", status=402, type="card_error", code="card_declined"
                        )
                    message = f"Invoice {inv['number']} is paid. Thank you!"
            else:
                raise invalid("action", "Unknown action.")
            self._save()
            return message

    def open_invoices(self, sub_id: str) -> list[Obj]:
        with self._lock:
            return [self.render(i, []) for i in self._open_invoices(sub_id)]
