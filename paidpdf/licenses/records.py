"""License records in `sales.json`: which items issue keys, the keys issued, and whether a key works.

Why in the sales file: a key is issued in the very unit that grants the purchase (`issue_for_grant`,
called by every grant path), so a webhook replayed, delivered twice at once, or handled by another
server issues it exactly once; and the key's state follows the library entry it belongs to: a refund,
a dispute or an admin's revoke takes the entry's last cover away in its unit, and the key is refused
from that instant; granting the item again makes the entry live again, and the same key works again.
A member's key (`member_keys`) follows their membership record the same way: read at every check,
never written. The admin's own switch (`disabled_at`) is on the key and wins over everything.

Tables: `license_items` (one row per item that issues keys: on/off, activation limit, key format) and
`licenses` (one row per key, its id the key's keyed hash, see `keys`). A key belongs to (reader, item),
not to one order: a reader who buys an item twice, or buys it and is given it, has one key for it.
"""

from __future__ import annotations

from typing import Any

from paidpdf.clock import now_iso
from paidpdf.content import catalog
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.licenses import keys, sealing
from paidpdf.memberships import records as member_records
from paidpdf.ownership import covers, library
from paidpdf.sales.orders import GRANTING, ORDERS
from paidpdf.store import CATALOG, SALES, DataStore, Doc, Unit, View

LICENSE_ITEMS = "license_items"
LICENSES = "licenses"
#: Most activations a limit may allow (0 = no limit).
MOST_ACTIVATIONS = 100_000


def item_setting(view: View, item_id: str) -> Doc | None:
    """The item's license settings while it issues keys, else None."""
    found = view.get(LICENSE_ITEMS, item_id)
    return found if found is not None and found.get("enabled") else None


def set_item(
    store: DataStore,
    item_id: str,
    *,
    enabled: bool | None = None,
    activations: int | None = None,
    key_format: str | None = None,
) -> Doc:
    """`content edit ID --license-keys/--no-license-keys [--activations N] [--key-format F]`.

    Turning keys on also issues one to every reader who already has the item (or had it: a refunded
    reader's key exists, refused, and works again if the item is granted again). Turning them off
    issues no new keys; keys already sold keep working (their buyers paid for them)."""
    if activations is not None and not 0 <= activations <= MOST_ACTIVATIONS:
        raise InvalidInput(f"--activations must be a whole number from 0 (no limit) to {MOST_ACTIVATIONS}")
    if key_format is not None:
        keys.check_format(key_format)
    item_id = str(catalog.get_item(store, item_id)["id"])
    secret = shop_secret(store)
    with store.unit(SALES) as unit:
        current = unit.get(LICENSE_ITEMS, item_id)
        if current is None and enabled is None:
            raise InvalidInput(f"{item_id} has no license keys: turn them on with --license-keys")
        doc: Doc = {
            "id": item_id,
            "enabled": bool(current and current.get("enabled")) if enabled is None else enabled,
            "activations": _count(current) if activations is None else activations,
            "key_format": (current or {}).get("key_format") or keys.DEFAULT_FORMAT,
            "updated_at": now_iso(),
        }
        if key_format is not None:
            doc["key_format"] = key_format
        doc = unit.put(LICENSE_ITEMS, doc)
        if doc["enabled"]:
            for entry in unit.find(library.LIBRARY, "content_id", item_id):
                issue(unit, secret, doc, entry["user_id"], item_id, entry.get("order_id"))
        return doc


def _count(setting: Doc | None) -> int:
    return int((setting or {}).get("activations") or 0)


def issue_for_grant(
    unit: Unit, secret: bytes, user_id: str, item_id: str, order_id: str | None = None
) -> Doc | None:
    """THE call every grant path makes, in the unit that grants (bought, bundle, gift, free, promo;
    memberships through `member_keys`): the reader's key for the item when the item issues keys, made once
    and found again on any replay; None when the item issues none. `order_id`: the paid order that
    granted, shown as the key's purchase."""
    setting = item_setting(unit, item_id)
    if setting is None:
        return None
    return issue(unit, secret, setting, user_id, item_id, order_id)


def issue(
    unit: Unit,
    secret: bytes,
    setting: Doc,
    user_id: str,
    item_id: str,
    order_id: str | None,
    subscription_id: str | None = None,
) -> Doc:
    """The reader's key for the item under `setting`, made once (found again on any replay)."""
    key = keys.derive(secret, user_id, item_id, str(setting.get("key_format") or keys.DEFAULT_FORMAT))
    key_hash = keys.key_hash(secret, key)
    current = unit.get(LICENSES, key_hash)
    if current is not None:
        if order_id and current.get("order_id") != order_id and not _granting(unit, current.get("order_id")):
            return unit.put(LICENSES, {**current, "order_id": order_id})  # bought again after a refund
        return current
    return unit.insert(
        LICENSES,
        {
            "id": key_hash,
            "origin": "issued",
            "prefix": keys.prefix(key),
            "key_format": setting.get("key_format") or keys.DEFAULT_FORMAT,
            "user_id": user_id,
            "content_id": item_id,
            "order_id": order_id,
            "subscription_id": subscription_id,  # the membership that first gave it (`member_keys`)
            "uses": 0,
            "instances": [],
            "activation_limit": None,  # None: the item's setting (`limit`)
            "disabled_at": None,
            "created_at": now_iso(),
        },
    )


def _granting(view: View, order_id: Any) -> bool:
    order = view.get(ORDERS, str(order_id)) if order_id else None
    return order is not None and order.get("status") in GRANTING


# -- state -----------------------------------------------------------------------------------------


def refused_because(view: View, doc: Doc, item: Doc | None) -> str | None:
    """Why the key is refused now ("disabled": the admin's switch; "revoked": its reader no longer has
    the item: refunded, disputed, revoked, or a membership that covered it ended), or None when it
    works. `item` is the key's item as the catalog has it now (None: gone), for the membership check.

    A key follows access exactly as a download does: a live library entry, or a membership whose
    record covers the item now (`memberships.records.covering_in`: the same rule, so a membership
    canceled, unpaid, refunded or disputed refuses the key from that instant, and one that comes back
    makes it work again). Both documents are read for every issued key, so a call costs the same
    whatever the key (the license API's constant time)."""
    disabled = bool(doc.get("disabled_at"))
    if doc.get("origin") != "issued":
        return "disabled" if disabled else None
    user_id = str(doc["user_id"])
    entry = view.get(library.LIBRARY, library.entry_id(user_id, str(doc["content_id"])))
    record = view.get(member_records.MEMBERSHIPS, user_id)
    if disabled:
        return "disabled"
    if covers.live(entry) or member_records.covering_in(record, item) is not None:
        return None
    return "revoked"


def limit(view: View, doc: Doc) -> int | None:
    """The key's activation limit (None = no limit): its own (imported keys), else its item's."""
    own = doc.get("activation_limit")
    if isinstance(own, int) and own > 0:
        return own
    setting = view.get(LICENSE_ITEMS, str(doc["content_id"]))
    count = int((setting or {}).get("activations") or 0)
    return count or None


def shown_key(secret: bytes, doc: Doc) -> str | None:
    """The full key, for its owner and the admin: derived again (issued) or unsealed (imported)."""
    if doc.get("origin") == "issued":
        key = keys.derive(secret, str(doc["user_id"]), str(doc["content_id"]), str(doc.get("key_format")))
        return key if keys.key_hash(secret, key) == doc["id"] else None
    return sealing.unseal(secret, str(doc.get("sealed") or ""), str(doc["id"]))


def keys_for_owner(store: DataStore, user_id: str, email: str) -> dict[str, list[Doc]]:
    """The reader's keys by item, each as {"key", "state"}: for the library page."""
    view = store.view(SALES)
    rows = {d["id"]: d for d in view.find(LICENSES, "user_id", user_id)}
    rows.update({d["id"]: d for d in view.find(LICENSES, "email", email.strip().lower())})
    if not rows:
        return {}
    secret = shop_secret(store)
    items = store.view(CATALOG)
    found: dict[str, list[Doc]] = {}
    for doc in sorted(rows.values(), key=lambda d: (d.get("created_at") or "", d["id"])):
        key = shown_key(secret, doc)
        if key is not None:
            state = refused_because(view, doc, items.get(catalog.CONTENT, str(doc["content_id"]))) or "active"
            found.setdefault(str(doc["content_id"]), []).append({"key": key, "state": state})
    return found


def key_of(store: DataStore, user_id: str, item_id: str) -> str | None:
    """The reader's issued key for the item, if one exists (for the receipt)."""
    view = store.view(SALES)
    setting = view.get(LICENSE_ITEMS, item_id)
    secret = shop_secret(store)
    first = str((setting or {}).get("key_format") or keys.DEFAULT_FORMAT)
    for key_format in dict.fromkeys([first, *keys.FORMATS]):
        key = keys.derive(secret, user_id, item_id, key_format)
        if view.get(LICENSES, keys.key_hash(secret, key)) is not None:
            return key
    return None


def find(view: View, secret: bytes, text: str) -> Doc:
    """A key by its full text or by a display prefix that names exactly one key (admin commands)."""
    text = text.strip()
    if not text:
        raise InvalidInput("give a license key (or the prefix `licenses list` shows)")
    found = view.get(LICENSES, keys.key_hash(secret, text))
    if found is not None:
        return found
    if len(text) <= keys.PREFIX_LENGTH:
        matches = view.find(LICENSES, "prefix", keys.normalise(text))
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidInput(f"{len(matches)} keys start with {text!r}: give the whole key")
    raise NotFound(f"no license key {text!r}")
