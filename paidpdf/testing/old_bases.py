"""A shop as an earlier release left it (large bases, no `*.index`), and what opening it costs a process.

Shared by `bench/upgrade.py` and `tests/store/test_upgrade_memory.py`: the order documents have the
shape and size of real ones (about 1 KB each, with their history), and the measurement runs in a
fresh child process: its peak RSS (Linux's VmHWM) less its RSS before opening is the upgrade's alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from paidpdf.testing.big_files import write_tables


def order(i: int) -> dict[str, Any]:
    """Paid order number `i`, as fulfilment writes one (an é in a name: bases hold UTF-8)."""
    oid = f"ord_{i:016x}"
    at = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z"
    return {
        "id": oid,
        "status": "paid",
        "content_id": f"item-{i % 40}",
        "user_id": f"usr_{i % 5000:016x}",
        "buyer": f"reader{i % 5000}@example.com",
        "amount": 499 + i % 1500,
        "currency": "usd",
        "livemode": False,
        "stripe_session_id": f"cs_test_{i:024x}",
        "stripe_payment_intent": f"pi_{i:024x}",
        "receipt": f"R-{i:08d}",
        "guest_token": None,
        "promo": None,
        "created_at": at,
        "updated_at": at,
        "paid_at": at,
        "refunded_amount": 0,
        "refunds": {},
        "flag_reason": None,
        "note": "Zoë's order" if i % 7 == 0 else "",
        "history": [
            {"at": at, "event": "created", "detail": f"pending order for item-{i % 40}", "source": "shop"},
            {
                "at": at, "event": "paid", "detail": "checkout.session.completed",
                "source": f"webhook evt_{i:x}",
            },
            {"at": at, "event": "receipt", "detail": "receipt mailed", "source": "shop"},
        ],
    }


def library_entry(i: int) -> dict[str, Any]:
    o = order(i)
    return {
        "id": f"{o['user_id']}:{o['content_id']}:{i}",
        "user_id": o["user_id"],
        "content_id": o["content_id"],
        "source": "bought",
        "order_id": o["id"],
        "acquired_at": o["paid_at"],
        "revoked_at": None,
        "revoked_reason": None,
    }


def write_old_shop(folder: Path, orders: int) -> Path:
    """`folder/sales.json` with `orders` paid orders and their library entries, without an index."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sales.json"
    write_tables(path, {"orders": (orders, order), "library": (orders, library_entry)})
    return path


#: Run in the child: open the shop the way given, touch it as a first request would, report.
_CHILD = r"""
import json, sys, time
from pathlib import Path
folder, how = Path(sys.argv[1]), sys.argv[2]
from paidpdf.store import Store
from paidpdf.store.parsing import parse_data_file
from paidpdf.store.embedded.tables import Table

def status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} in /proc/self/status")

before = status_kb("VmRSS")
start = time.perf_counter()
if how == "whole":  # what opening it did before: the base parsed whole, kept as the file's state
    raw = (folder / "sales.json").read_bytes()
    kept = {t: Table.of(rows) for t, rows in parse_data_file(raw, folder / "sales.json").items()}
    del raw
    found = kept["orders"].get("ord_0000000000000007")
    on_disk = False
else:
    store = Store(folder)
    view = store.view("sales")
    found = view.get("orders", "ord_0000000000000007")
    view.find("orders", "user_id", found["user_id"])
    on_disk = store.journal_state("sales").on_disk
seconds = time.perf_counter() - start
growth = status_kb("VmHWM") - before
print(json.dumps({"growth_kb": growth, "seconds": seconds, "on_disk": on_disk, "found": found["id"]}))
"""


def measure_open(folder: Path, how: str = "store") -> dict[str, Any]:
    """Open the shop in a fresh process (`store`: as the store does now; `whole`: parsed whole, as it
    was before) and return its peak-RSS growth in KiB (peak less the RSS before opening: a high-water
    mark reached during the imports would hide the opening's own peak), the seconds it took, and
    whether the base is now read from disk."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), how],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
