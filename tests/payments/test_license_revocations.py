"""A key stops working at once when its purchase is disputed or revoked by the admin, and the same key
works again when the item comes back (a won dispute, a new gift). The dispute arrives as Stripe sends it:
opened and closed on the stand-in, its signed events posted to the real webhook route (twice: a replay
changes nothing); the revoke and the gift go through the real CLI. Both backends."""

from __future__ import annotations

import json
from typing import Any

from paidpdf.licenses import records
from tests.payments.shop import BUYER, PAID, Shop
from tests.payments.test_licenses import api_app, bought, cli, key_of, licensed, verify

BOTH_BACKENDS = True
DISABLED = {"success": False, "message": "This license key has been disabled."}


def _events_for(shop: Shop, kind: str, intent: str) -> list[dict[str, Any]]:
    return [e for e in shop.stand_in_events(kind) if intent in json.dumps(e)]


def _state(shop: Shop) -> str:
    (row,) = json.loads(cli(shop, "licenses", "list", "--item", PAID, "--json").stdout)
    return str(row["state"])


def test_a_dispute_disables_the_key_and_a_won_dispute_brings_the_same_key_back(shop: Shop) -> None:
    licensed(shop)
    order = bought(shop)
    key = key_of(shop)
    client = api_app(shop)
    assert verify(client, key).json["success"] is True
    intent = str(order["stripe_payment_intent"])
    dispute = shop.sl.dispute(intent)
    (opened,) = _events_for(shop, "charge.dispute.created", intent)
    for _ in range(2):
        assert shop.post_event(opened).status_int == 200
    assert shop.order(order["id"])["status"] == "disputed"
    assert verify(client, key).json == DISABLED
    lemon = client.post("/v1/licenses/activate", {"license_key": key, "instance_name": "laptop"}, status=400)
    assert lemon.json["activated"] is False and lemon.json["license_key"]["status"] == "disabled"
    assert _state(shop) == "revoked"
    page = shop.app.get("/library").text
    assert key in page and "(disabled)" in page  # the owner still sees which key it was

    shop.sl.close_dispute(dispute["id"], "won")
    (closed,) = _events_for(shop, "charge.dispute.closed", intent)
    for event in (closed, opened, closed):  # a replayed opening after the close takes nothing back
        assert shop.post_event(event).status_int == 200
    back = verify(client, key)
    assert back.status_int == 200 and back.json["purchase"]["license_key"] == key
    assert back.json["purchase"]["dispute_won"] is True and back.json["purchase"]["chargebacked"] is False
    assert key_of(shop) == key and _state(shop) == "active"
    assert len(shop.store.view("sales").all(records.LICENSES)) == 1


def test_users_revoke_disables_the_key_and_a_new_gift_brings_the_same_key_back(shop: Shop) -> None:
    licensed(shop)
    bought(shop)
    key = key_of(shop)
    client = api_app(shop)
    activated = client.post("/v1/licenses/activate", {"license_key": key, "instance_name": "desk"})
    assert activated.json["activated"] is True
    revoked = cli(shop, "users", "revoke", BUYER, PAID)
    assert revoked.exit_code == 0, revoked.output
    assert verify(client, key).json == DISABLED
    valid = client.post("/v1/licenses/validate", {"license_key": key}, status=400)
    assert valid.json["valid"] is False and valid.json["error"] == DISABLED["message"]
    assert _state(shop) == "revoked"
    enabled = cli(shop, "licenses", "enable", key)  # the admin's switch cannot undo a revoke
    assert enabled.exit_code == 0 and verify(client, key).json == DISABLED
    gift = cli(shop, "users", "grant", BUYER, PAID)
    assert gift.exit_code == 0, gift.output
    assert key_of(shop) == key and verify(client, key).json["success"] is True
    assert _state(shop) == "active"
    assert len(shop.store.view("sales").all(records.LICENSES)) == 1


def test_a_won_close_delivered_before_its_opening_leaves_the_key_working(shop: Shop) -> None:
    """Stripe sends events in any order: the opening of a dispute that was already closed as won takes
    nothing away."""
    licensed(shop)
    order = bought(shop)
    key = key_of(shop)
    client = api_app(shop)
    intent = str(order["stripe_payment_intent"])
    dispute = shop.sl.dispute(intent)
    shop.sl.close_dispute(dispute["id"], "won")
    (opened,) = _events_for(shop, "charge.dispute.created", intent)
    (closed,) = _events_for(shop, "charge.dispute.closed", intent)
    for event in (closed, opened, closed, opened):
        assert shop.post_event(event).status_int == 200
    assert shop.order(order["id"])["status"] == "paid" and shop.owns(PAID)
    assert verify(client, key).json["success"] is True
