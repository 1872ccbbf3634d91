"""The public license API the creator's software calls: Gumroad's `verify`, Lemon Squeezy's `activate`,
`validate` and `deactivate`, each returning an `Answer` (status and JSON body) for the web to send.

How it keeps its promises:

- One unit of `sales.json` per call counts the call against the caller's address and against the key
  (its keyed hash, whether or not such a key exists), looks the key up by that hash, and makes the
  call's change (uses, activations) — so ten parallel activations of a key with a limit of three make
  exactly three, and a refund committed a moment earlier is already seen.
- Known and unknown keys take the same path: the same HMAC, the same unit with the same throttle
  writes, a lookup by primary key, the same reads of library entry, membership record, order, owner
  and item (decoys when unknown).
- Nothing here takes an e-mail address or a cookie; answers about a key say nothing about others.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from paidpdf.accounts import throttle
from paidpdf.clock import iso, now, parse_iso
from paidpdf.content.catalog import CONTENT
from paidpdf.content.shop_secret import shop_secret
from paidpdf.licenses import keys, records, responses
from paidpdf.licenses.records import LICENSES
from paidpdf.licenses.responses import DECOY
from paidpdf.store import CATALOG, SALES, DataStore, Doc

THROTTLE = "license_throttle"
WINDOW = timedelta(minutes=1)
NOT_FOUND = "That license does not exist for the provided product."
DISABLED = "This license key has been disabled."
LIMIT_REACHED = "This license key has reached the activation limit."
LEMON_NOT_FOUND = "license_key not found."
INSTANCE_NOT_FOUND = "license_key instance not found."
MOST_NAME = 200


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Call:
    """One call's view of its key inside the unit: the record (None: unknown), why it is refused, and
    the error a change met (status, message), such as the activation limit."""

    doc: Doc | None
    refused: str | None
    limit: int | None = None
    instance: Doc | None = None
    error: tuple[int, str] | None = None


Change = Callable[[_Call], None]


def _address_rule(remote_addr: str | None) -> throttle.Rule:
    limit = throttle.limits().license_checks_per_address
    return throttle.Rule(throttle.address_key(remote_addr, "license-address"), limit, WINDOW)


def _call(store: DataStore, key: str, remote_addr: str | None, change: Change) -> tuple[_Call | Answer, str]:
    """Throttle, look up and change in one unit. Returns the call (or the throttle's 429) and the key
    as the caller sent it.

    The per-key count is kept on the key's own record when it exists (beside its uses and activations)
    and in a throttle row named by the hash when it does not, so every call writes exactly two
    documents, the address's row and the key's, whatever the key and whatever the call changes."""
    secret = shop_secret(store)
    key = key.strip()[: keys.MOST_CHARS + 1]
    key_hash = keys.key_hash(secret, key)
    moment = now()
    since = iso(moment - WINDOW)
    address = [_address_rule(remote_addr)]
    with store.unit(SALES) as unit:
        doc = unit.get(LICENSES, key_hash)
        row = unit.get(THROTTLE, f"license-key:{key_hash}")  # read either way: the same reads for all
        held = doc.get("checks") if doc is not None else [a[0] for a in (row or {}).get("attempts") or []]
        checks = [c for c in held or [] if isinstance(c, str) and c > since]
        wait = throttle.retry_after(unit, address, moment, THROTTLE)
        if len(checks) >= throttle.limits().license_checks_per_key:
            wait = max(wait, 1 + int((parse_iso(checks[0]) + WINDOW - moment).total_seconds()))
        if wait > 0:
            message = f"too many license checks; try again in {wait} seconds"
            return Answer(429, {"error": message}, {"Retry-After": str(wait)}), key
        throttle.record(unit, address, moment, THROTTLE)
        throttle.prune(unit, moment, THROTTLE, WINDOW)
        checks.append(iso(moment))
        subject = doc or {"id": DECOY, "origin": "issued", "user_id": DECOY, "content_id": DECOY}
        item = store.view(CATALOG).get(CONTENT, str(subject["content_id"]))  # a member's key needs it
        call = _Call(doc, records.refused_because(unit, subject, item), records.limit(unit, subject))
        change(call)
        if call.doc is not None:
            call.doc = unit.put(LICENSES, {**call.doc, "checks": checks})
        else:
            unit.put(THROTTLE, {"id": f"license-key:{key_hash}", "attempts": [[c, "key"] for c in checks]})
        return call, key


# -- Gumroad ---------------------------------------------------------------------------------------


def gumroad_verify(
    store: DataStore, fields: Mapping[str, str], remote_addr: str | None, base_url: str
) -> Answer:
    """`POST /v2/licenses/verify` (product_id or product_permalink, license_key, increment_uses_count).
    Gumroad's older names for the product (`id`, `link_id`) are read too, after `product_id`."""
    names = ("product_id", "product_permalink", "id", "link_id")
    product = next((fields.get(n, "") for n in names if fields.get(n, "").strip()), "")
    if not product.strip():
        message = "The 'product_id' parameter is required to verify the license for this product."
        return Answer(400, responses.gumroad_error(message))
    increment = fields.get("increment_uses_count", "true").strip().lower() != "false"
    product = product.strip().lower()

    def count_use(call: _Call) -> None:
        doc = call.doc
        if doc is not None and doc["content_id"] == product and call.refused is None and increment:
            call.doc = {**doc, "uses": int(doc.get("uses") or 0) + 1}

    outcome, key = _call(store, fields.get("license_key", ""), remote_addr, count_use)
    if isinstance(outcome, Answer):  # throttled
        return Answer(outcome.status, responses.gumroad_error(outcome.body["error"]), outcome.headers)
    facts = responses.Facts.read(store, outcome.doc)
    doc = outcome.doc
    if doc is None or doc["content_id"] != product:
        return Answer(404, responses.gumroad_error(NOT_FOUND))
    if outcome.refused is not None:
        return Answer(404, responses.gumroad_error(DISABLED))
    return Answer(200, responses.gumroad(doc, key, facts, base_url))


# -- Lemon Squeezy -------------------------------------------------------------------------------------


def _lemon(store: DataStore, word: str, outcome: _Call | Answer, key: str) -> Answer:
    """The Lemon Squeezy body for a call: `{word: bool, "error", "license_key", "instance", "meta"}`."""
    if isinstance(outcome, Answer):
        return Answer(outcome.status, {word: False, "error": outcome.body["error"]}, outcome.headers)
    facts = responses.Facts.read(store, outcome.doc)
    doc = outcome.doc
    if doc is None:
        return Answer(404, _empty(word, LEMON_NOT_FOUND))
    refused = outcome.refused is not None and word != "deactivated"  # freeing a slot is always allowed
    error = outcome.error or ((400, DISABLED) if refused else None)
    state = "disabled" if outcome.refused is not None else "active"
    body: dict[str, Any] = {
        word: error is None,
        "error": error[1] if error else None,
        "license_key": responses.lemon_key(doc, key, state=state, limit=outcome.limit),
        "instance": responses.lemon_instance(outcome.instance),
        "meta": responses.lemon_meta(doc, facts),
    }
    if word == "deactivated":
        body.pop("instance")
    return Answer(error[0] if error else 200, body)


def _empty(word: str, error: str) -> dict[str, Any]:
    return {word: False, "error": error, "license_key": None, "instance": None, "meta": None}


def _required(word: str, name: str) -> Answer:
    return Answer(422, _empty(word, f"The {name.replace('_', ' ')} field is required."))


def lemon_activate(store: DataStore, fields: Mapping[str, str], remote_addr: str | None) -> Answer:
    """`POST /v1/licenses/activate` (license_key, instance_name): a new instance, within the limit."""
    name = fields.get("instance_name", "").strip()[:MOST_NAME]
    if not fields.get("license_key", "").strip():
        return _required("activated", "license_key")
    if not name:
        return _required("activated", "instance_name")

    def activate(call: _Call) -> None:
        doc = call.doc
        if doc is None or call.refused is not None:
            return
        instances = list(doc.get("instances") or [])
        if call.limit is not None and len(instances) >= call.limit:
            call.error = (400, LIMIT_REACHED)
            return
        call.instance = {"id": str(uuid.uuid4()), "name": name, "created_at": iso(now())}
        call.doc = {**doc, "instances": [*instances, call.instance]}

    outcome, key = _call(store, fields.get("license_key", ""), remote_addr, activate)
    return _lemon(store, "activated", outcome, key)


def lemon_validate(store: DataStore, fields: Mapping[str, str], remote_addr: str | None) -> Answer:
    """`POST /v1/licenses/validate` (license_key, optional instance_id)."""
    if not fields.get("license_key", "").strip():
        return _required("valid", "license_key")
    wanted = fields.get("instance_id", "").strip()

    def find_instance(call: _Call) -> None:
        if call.doc is None or not wanted:
            return
        call.instance = next((i for i in call.doc.get("instances") or [] if i["id"] == wanted), None)
        if call.instance is None:
            call.error = (404, INSTANCE_NOT_FOUND)

    outcome, key = _call(store, fields.get("license_key", ""), remote_addr, find_instance)
    return _lemon(store, "valid", outcome, key)


def lemon_deactivate(store: DataStore, fields: Mapping[str, str], remote_addr: str | None) -> Answer:
    """`POST /v1/licenses/deactivate` (license_key, instance_id): frees one activation (allowed on a
    refused key too: freeing a slot gives nothing away)."""
    if not fields.get("license_key", "").strip():
        return _required("deactivated", "license_key")
    wanted = fields.get("instance_id", "").strip()
    if not wanted:
        return _required("deactivated", "instance_id")

    def deactivate(call: _Call) -> None:
        doc = call.doc
        if doc is None:
            return
        instances = list(doc.get("instances") or [])
        left = [i for i in instances if i["id"] != wanted]
        if len(left) == len(instances):
            call.error = (404, INSTANCE_NOT_FOUND)
            return
        call.doc = {**doc, "instances": left}

    outcome, key = _call(store, fields.get("license_key", ""), remote_addr, deactivate)
    return _lemon(store, "deactivated", outcome, key)
