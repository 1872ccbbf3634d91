"""A shop without Stripe keys: the catalog works, Buy explains that payments are not configured (503),
the webhook answers 503 (Stripe retries once the operator fixes it), and nothing is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import stripe
from webtest import TestApp

from paidpdf.config import Settings
from paidpdf.store import Store
from paidpdf.web import create_app
from tests.forms import form_for
from tests.payments.shop import BUYER, PAID, PASSWORD, WEBHOOK_SECRET
from tests.web.site import copy_seed


def _keyless_shop(seeded: Path, tmp_path: Path, env: dict[str, str]) -> tuple[TestApp, Store]:
    folder = tmp_path / "data"
    copy_seed(seeded, folder)
    settings = Settings.from_env(env, data_dir=folder)
    store = Store(folder)
    return TestApp(create_app(settings, store=store), extra_environ={"REMOTE_ADDR": "127.0.0.1"}), store


def test_buy_without_a_stripe_key_is_a_503_page_that_says_why(seeded: Path, tmp_path: Path) -> None:
    app, store = _keyless_shop(seeded, tmp_path, {})
    page = app.get("/login")
    form = form_for(page, "/login")
    form["email"], form["password"] = BUYER, PASSWORD
    form.submit(status=303)
    item = app.get(f"/content/{PAID}")
    answer = form_for(item, f"/checkout/{PAID}").submit(status=503)
    assert answer.content_type == "text/html"
    assert "payments are not configured on this shop" in answer.text.lower()
    assert 'class="panel error-page"' in answer.text  # the styled page, not a bare error
    assert "STRIPE_SECRET_KEY" not in answer.text  # operator details stay in the log
    assert store.view("sales").all("orders") == []


def test_webhook_without_a_signing_secret_answers_503(seeded: Path, tmp_path: Path) -> None:
    app, store = _keyless_shop(seeded, tmp_path, {"STRIPE_SECRET_KEY": "sk_test_x"})
    payload = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}})
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    answer = app.post(
        "/stripe/webhook",
        payload.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        status=503,
    )
    assert "STRIPE_WEBHOOK_SECRET" in answer.json["error"]
    assert store.view("sales").all("events") == []
