"""License keys for members: a membership that covers an item issuing keys gives the member that item's
key, the same one a purchase would give (one key per reader and item, however many ways they have it).

When a member's key is made, and why then:

- **In the unit that grants the membership** (`issue_in`, called by `memberships.lifecycle` whenever it
  writes a subscription that gives access: the join, a renewal, a recovery, a pass), exactly as a
  purchase's key is made in the unit that grants the purchase: a webhook replayed, delivered twice at
  once or handled by another server finds the key already there.
- **When the member opens their library** (`ensure`), for items that became covered or licensed after
  that: `plans edit --covers`, a new item or a new tag on a covering plan, keys turned on for an item.
  Those changes write nothing per member (a plan of 100,000 members would otherwise write 100,000 keys
  most of which no one ever uses): a key is a pure function of (reader, item) (`keys.derive`), so it
  only has to be stored before anyone can know it, and the library is where a member sees it. The
  check reads a few documents and writes only for a key still missing, in a unit that looks again.

Whether a member's key works is never written: `records.refused_because` asks the member's record at
every call, so the key stops working the instant the membership stops giving access (canceled, unpaid,
refunded, disputed, its period over) and works again when access comes back.
"""

from __future__ import annotations

from collections.abc import Iterator

from paidpdf.content.catalog import CONTENT
from paidpdf.content.shop_secret import shop_secret
from paidpdf.licenses import records
from paidpdf.licenses.records import LICENSE_ITEMS, LICENSES
from paidpdf.memberships import records as member_records
from paidpdf.store import CATALOG, SALES, DataStore, Doc, Unit, View


def _covered(view: View, catalog: View, user_id: str) -> Iterator[tuple[Doc, str]]:
    """(license setting, subscription id) for each item issuing keys that the member's record covers
    now and for which the member has no key yet (in any format: one key per reader and item). Reads
    the record, the reader's keys, the (few) license settings and their items: no scan of members."""
    record = view.get(member_records.MEMBERSHIPS, user_id)
    if not record:
        return
    have = {str(d["content_id"]) for d in view.find(LICENSES, "user_id", user_id)}
    for setting in view.all(LICENSE_ITEMS):
        if setting.get("enabled") and str(setting["id"]) not in have:
            grant = member_records.covering_in(record, catalog.get(CONTENT, str(setting["id"])))
            if grant is not None:
                yield setting, grant.subscription_id


def issue_in(unit: Unit, secret: bytes, catalog: View, user_id: str) -> list[Doc]:
    """Inside a sales unit: the member's key for every licensed item their membership covers now that
    they have no key for yet. Returns the keys made (none on a replay)."""
    return [
        records.issue(unit, secret, setting, user_id, str(setting["id"]), None, subscription_id)
        for setting, subscription_id in _covered(unit, catalog, user_id)
    ]


def ensure(store: DataStore, user_id: str) -> int:
    """Before the library shows a member's keys: store any key their membership now gives that is not
    stored yet. Only reads when nothing is missing (the usual case); otherwise one unit, which looks
    again. Returns how many keys were made."""
    view, catalog = store.view(SALES), store.view(CATALOG)
    if next(_covered(view, catalog, user_id), None) is None:
        return 0
    secret = shop_secret(store)
    with store.unit(SALES) as unit:
        return len(issue_in(unit, secret, catalog, user_id))
