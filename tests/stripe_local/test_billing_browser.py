"""The stand-in's subscription checkout page and customer portal in Chromium, at phone and desktop
sizes: a trial started, the portal opened, a failed invoice paid, the subscription canceled, and
axe-core finds no serious or critical violation on any of those pages (the shop's browser test walks
through them too)."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal
from tests.browser import PAGE_SIZES, chromium, shoot_and_check
from tests.stripe_local.billing import advance, clock_customer, period_end, subscription_params


@pytest.mark.browser
def test_subscribe_and_manage_in_a_browser(
    stripe_local: StripeLocal, client: stripe.StripeClient, tmp_path: Path
) -> None:
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        for size, viewport in PAGE_SIZES.items():
            clock, customer = clock_customer(client, f"{size}@example.com")
            params = subscription_params(
                customer=customer,
                subscription_data={"trial_period_days": 7},
                success_url=stripe_local.url + "/?session_id={CHECKOUT_SESSION_ID}",  # a page that exists
            )
            session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
            assert session.url is not None
            context = browser.new_context(viewport=viewport, bypass_csp=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(session.url)
            shoot_and_check(page, f"checkout-{size}", tmp_path, problems)
            page.locator("button[name=action][value=pay]").click()
            page.wait_for_url(f"**/?session_id={session.id}")
            sub_id = str(client.v1.checkout.sessions.retrieve(session.id).subscription)
            client.v1.customers.update(
                customer,
                params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}},
            )
            advance(client, clock, period_end(client.v1.subscriptions.retrieve(sub_id)) + 60)
            portal = client.v1.billing_portal.sessions.create(params={"customer": customer})
            page.goto(portal.url)
            assert page.locator("[data-testid=subscription]").get_attribute("data-status") == "past_due"
            shoot_and_check(page, f"portal-past-due-{size}", tmp_path, problems)
            page.locator("form.pay select[name=card]").first.select_option("4242")
            page.get_by_role("button", name="Pay invoice").click()
            page.wait_for_selector("text=is paid")
            shoot_and_check(page, f"portal-paid-{size}", tmp_path, problems)
            page.get_by_role("button", name="Cancel subscription").click()
            page.wait_for_selector("text=will end at the end of the current period")
            shoot_and_check(page, f"portal-canceled-{size}", tmp_path, problems)
            sub = client.v1.subscriptions.retrieve(sub_id)
            assert (sub.status, sub.cancel_at_period_end) == ("active", True)
            context.close()
    assert problems == {}
