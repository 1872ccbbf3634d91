"""Which of our items each of the platform's products becomes: `--map PRODUCT=ITEM_ID` and `--map-file`.

PRODUCT is the platform's product id (Gumroad's permalink, Lemon Squeezy's or Payhip's product id) or
its exact name as the export writes it; ITEM_ID is one of our catalog's ids. A purchase whose product
is in neither is "unmapped": the import refuses to start until each is mapped, or is told to skip them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from paidpdf.content import catalog
from paidpdf.errors import InvalidInput
from paidpdf.imports.platforms import Purchase
from paidpdf.store import DataStore


def parse(store: DataStore, pairs: Iterable[str], map_file: Path | None) -> dict[str, str]:
    """Product -> item id, every item checked against the catalog."""
    found: list[tuple[str, str, str]] = []
    for text in pairs:
        product, sep, item = text.partition("=")
        if not sep or not product.strip() or not item.strip():
            raise InvalidInput(f"--map {text!r}: write PRODUCT=ITEM_ID (the platform's product id or name)")
        found.append((product.strip(), item.strip(), f"--map {text!r}"))
    if map_file is not None:
        try:
            with map_file.open(encoding="utf-8-sig", newline="") as handle:
                for number, row in enumerate(csv.reader(handle), start=1):
                    cells = [c.strip() for c in row]
                    if not any(cells) or (
                        number == 1 and [c.lower() for c in cells[:2]] == ["product", "item"]
                    ):
                        continue
                    if len(cells) < 2 or not cells[0] or not cells[1]:
                        raise InvalidInput(f"{map_file.name}, row {number}: write PRODUCT,ITEM_ID")
                    found.append((cells[0], cells[1], f"{map_file.name}, row {number}"))
        except OSError as exc:
            raise InvalidInput(f"cannot read {map_file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"{map_file.name}: not UTF-8 text") from None
    items = {str(i["id"]) for i in store.view(catalog.CATALOG).all(catalog.CONTENT)}
    mapped: dict[str, str] = {}
    for product, item, where in found:
        if item.lower() not in items:
            raise InvalidInput(f"{where}: no item {item!r} in the catalog (`paidpdf content list`)")
        mapped[product] = item.lower()
    return mapped


def item_for(mapped: dict[str, str], purchase: Purchase) -> str | None:
    return mapped.get(purchase.product_id) or mapped.get(purchase.product_name)


def product_label(purchase: Purchase) -> str:
    if purchase.product_id and purchase.product_name:
        return f"{purchase.product_id} ({purchase.product_name})"
    return purchase.product_id or purchase.product_name
