"""Platform exports written the way the platforms write them, for the import tests and the bench.

Gumroad's headers are copied from its export code (`PURCHASE_FIELDS` in antiwork/gumroad's
`purchase_export_service.rb`: 72 columns now, 64 in the first public code), with its closing "Totals"
row, dollars as Ruby floats and CsvSafe's `'` before formula characters. Lemon Squeezy's are its
API order fields flattened, Payhip's its webhook fields (neither documents a CSV header).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

GUMROAD_72 = [
    "Purchase ID",
    "Item Name",
    "Buyer Name",
    "Purchase Email",
    "Buyer Email",
    "Do not contact?",
    "Purchase Date",
    "Purchase Time (UTC timezone)",
    "Subtotal ($)",
    "Taxes ($)",
    "Tax Type",
    "Shipping ($)",
    "Sale Price ($)",
    "Fees ($)",
    "Net Total ($)",
    "Tip ($)",
    "Tax Included in Price?",
    "Street Address",
    "City",
    "Zip Code",
    "State",
    "Country",
    "Referrer",
    "Refunded?",
    "Partial Refund ($)",
    "Fully Refunded?",
    "Disputed?",
    "Dispute Won?",
    "Access Revoked?",
    "Variants",
    "Discount Code",
    "Recurring Charge?",
    "Free trial purchase?",
    "Pre-order authorization?",
    "Product ID",
    "Order Number",
    "Pre-order authorization time (UTC timezone)",
    "Custom Fields",
    "Item Price ($)",
    "Variants Price ($)",
    "Giftee Email",
    "SKU ID",
    "Quantity",
    "Recurrence",
    "Affiliate",
    "Affiliate commission ($)",
    "Discover?",
    "Cancellation Date",
    "Subscription End Date",
    "Rating",
    "Review",
    "License Key",
    "License Key Activation Count",
    "License Key Enabled?",
    "Payment Type",
    "PayPal Transaction ID",
    "PayPal Fee Amount",
    "PayPal Fee Currency",
    "Stripe Transaction ID",
    "Stripe Fee Amount",
    "Stripe Fee Currency",
    "Purchasing Power Parity Discounted?",
    "Upsold?",
    "Sent Abandoned Cart Email?",
    "UTM Source",
    "UTM Medium",
    "UTM Campaign",
    "UTM Term",
    "UTM Content",
    "Buyer Currency",
    "Buyer Total",
    "Buyer Refunded Total",
]
_NOT_IN_64 = {
    "Tax Type",
    "Access Revoked?",
    "Cancellation Date",
    "License Key Activation Count",
    "License Key Enabled?",
    "Buyer Currency",
    "Buyer Total",
    "Buyer Refunded Total",
}
GUMROAD_64 = [h for h in GUMROAD_72 if h not in _NOT_IN_64]
assert len(GUMROAD_72) == 72 and len(GUMROAD_64) == 64
_MONEY = [
    "Subtotal ($)",
    "Taxes ($)",
    "Shipping ($)",
    "Sale Price ($)",
    "Fees ($)",
    "Net Total ($)",
    "Tip ($)",
    "Partial Refund ($)",
    "Variants Price ($)",
    "Item Price ($)",
    "Affiliate commission ($)",
    "PayPal Fee Amount",
    "Stripe Fee Amount",
]

LEMONSQUEEZY = [
    "id",
    "store_id",
    "customer_id",
    "identifier",
    "order_number",
    "user_name",
    "user_email",
    "currency",
    "currency_rate",
    "subtotal",
    "discount_total",
    "tax",
    "total",
    "refunded_amount",
    "subtotal_usd",
    "total_usd",
    "tax_name",
    "tax_rate",
    "status",
    "status_formatted",
    "refunded",
    "refunded_at",
    "total_formatted",
    "first_order_item.product_id",
    "first_order_item.variant_id",
    "first_order_item.product_name",
    "first_order_item.variant_name",
    "first_order_item.price",
    "created_at",
    "updated_at",
    "test_mode",
    "license_key.key",
    "license_key.activation_limit",
    "license_key.instances_count",
    "license_key.disabled",
]
PAYHIP = [
    "id",
    "email",
    "currency",
    "price",
    "vat_applied",
    "ip_address",
    "items.product_id",
    "items.product_name",
    "items.product_key",
    "items.product_permalink",
    "items.quantity",
    "items.license_key",
    "payment_type",
    "stripe_fee",
    "payhip_fee",
    "unconsented_from_emails",
    "is_gift",
    "date",
    "type",
    "amount_refunded",
    "date_refunded",
]


@dataclass(frozen=True)
class Sale:
    """One purchase, platform-neutral; `state` is paid, refunded, partial, disputed, won or revoked."""

    purchase_id: str
    email: str
    product: str
    name: str
    cents: int
    state: str = "paid"
    key: str = ""
    uses: int = 0
    key_enabled: bool = True
    day: int = 1


def _dollars(cents: int) -> str:
    return repr(cents / 100)  # Ruby's Float#to_s of (cents.to_f / 100).round(2), as Gumroad writes it


def gumroad(path: Path, sales: Iterable[Sale], *, columns: int = 72) -> Path:
    header = GUMROAD_72 if columns == 72 else GUMROAD_64
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        total = 0
        for s in sales:
            total += s.cents
            pid = s.purchase_id
            row = dict.fromkeys(header, "")
            row.update(
                {
                    "Purchase ID": f"'{pid}" if pid[:1] in "-+=@" and columns == 72 else pid,
                    "Item Name": s.name,
                    "Buyer Name": "Ann Reader",
                    "Purchase Email": s.email,
                    "Buyer Email": "",
                    "Do not contact?": "0",
                    "Purchase Date": f"2024-03-{s.day:02d}",
                    "Purchase Time (UTC timezone)": f"2024-03-{s.day:02d} 10:1{s.day % 10}:05 +0000",
                    "Tax Type": "",
                    "Variants": "",
                    "Custom Fields": "{}",
                    "Country": "United States",
                    "Zip Code": "02139",
                    "Refunded?": "1" if s.state in ("refunded", "partial") else "0",
                    "Fully Refunded?": "1" if s.state == "refunded" else "0",
                    "Disputed?": "1" if s.state in ("disputed", "won") else "0",
                    "Dispute Won?": "1" if s.state == "won" else "0",
                    "Access Revoked?": "1" if s.state == "revoked" else "0",
                    "Product ID": s.product,
                    "Order Number": str(524459935 + len(pid)),
                    "Quantity": "1",
                    "License Key": s.key,
                    "Payment Type": "Card" if s.cents else "",
                    "License Key Activation Count": str(s.uses) if s.key else "",
                    "License Key Enabled?": ("1" if s.key_enabled else "0") if s.key else "",
                    "Recurring Charge?": "0",
                    "Free trial purchase?": "0",
                    "Discover?": "0",
                }
            )
            for money in _MONEY:
                if money in row:
                    row[money] = "0.0"
            for money in ("Subtotal ($)", "Sale Price ($)", "Item Price ($)"):
                row[money] = _dollars(s.cents)
            row["Partial Refund ($)"] = "1.5" if s.state == "partial" else "0.0"
            out.writerow([row[h] for h in header])
        totals = dict.fromkeys(header, "")
        totals["Purchase ID"] = "Totals"
        for money in _MONEY:
            if money in totals:
                totals[money] = _dollars(total) if money in ("Subtotal ($)", "Sale Price ($)") else "0.0"
        out.writerow([totals[h] for h in header])
    return path


def lemonsqueezy(path: Path, sales: Iterable[Sale], *, currency: str = "EUR") -> Path:
    status = {
        "paid": "paid",
        "refunded": "refunded",
        "partial": "partial_refund",
        "disputed": "refunded",
        "won": "paid",
        "revoked": "refunded",
    }
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, LEMONSQUEEZY, lineterminator="\n")
        out.writeheader()
        for n, s in enumerate(sales, start=1):
            out.writerow(
                {
                    "id": str(1000 + n),
                    "store_id": "1",
                    "customer_id": str(n),
                    "identifier": s.purchase_id,
                    "order_number": str(n),
                    "user_name": "Ann Reader",
                    "user_email": s.email,
                    "currency": currency,
                    "currency_rate": "1.0000",
                    "subtotal": s.cents,
                    "discount_total": 0,
                    "tax": 0,
                    "total": s.cents,
                    "refunded_amount": s.cents if s.state == "refunded" else 0,
                    "status": status[s.state],
                    "status_formatted": status[s.state].title(),
                    "refunded": "true" if s.state == "refunded" else "false",
                    "total_formatted": f"€{s.cents / 100:.2f}",
                    "first_order_item.product_id": s.product,
                    "first_order_item.product_name": s.name,
                    "first_order_item.price": s.cents,
                    "created_at": f"2024-03-{s.day:02d}T09:45:53.000000Z",
                    "updated_at": "2024-03-30T09:45:53.000000Z",
                    "test_mode": "false",
                    "license_key.key": s.key,
                    "license_key.instances_count": s.uses if s.key else "",
                    "license_key.disabled": ("false" if s.key_enabled else "true") if s.key else "",
                }
            )
    return path


def payhip(path: Path, sales: Iterable[Sale], *, currency: str = "GBP") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, PAYHIP, lineterminator="\n")
        out.writeheader()
        for s in sales:
            refunded = s.state in ("refunded", "partial")
            out.writerow(
                {
                    "id": s.purchase_id,
                    "email": s.email,
                    "currency": currency,
                    "price": s.cents,
                    "vat_applied": "false",
                    "items.product_id": s.product,
                    "items.product_name": s.name,
                    "items.product_key": s.product,
                    "items.quantity": 1,
                    "items.license_key": s.key,
                    "payment_type": "card" if s.cents else "",
                    "date": str(1709251200 + s.day * 86400),
                    "type": "refunded" if refunded else "paid",
                    "amount_refunded": (s.cents if s.state == "refunded" else 150) if refunded else "",
                }
            )
    return path
