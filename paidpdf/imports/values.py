"""Reading the cells of a platform's export: money, dates and flags, each to one exact form.

Why strict: an amount kept "for the creator's records" must be the one the platform charged, so money
is parsed as a decimal string, never through a float (Gumroad writes dollars as Ruby floats such as
`39.2` or `0.30000000000000004`: rounded half-up to the currency's minor unit). A cell that is not
a number, a date or a flag is an error the caller names by row and column; nothing is guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: Cells a spreadsheet would read as a formula get a leading `'` in Gumroad's newer exports (CsvSafe).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")
_MAJOR = re.compile(r"^(?P<sign>-?)(?P<units>\d{1,15})(?:\.(?P<fraction>\d{1,30}))?$")
_MINOR = re.compile(r"^-?\d{1,15}$")
_EPOCH = re.compile(r"^\d{9,11}(?:\.\d+)?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WORDY = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"\s*(?P<zone>UTC|Z|[+-]\d{2}:?\d{2})?$"
)
TRUE = frozenset({"1", "true", "yes", "y", "t"})
FALSE = frozenset({"0", "false", "no", "n", "f", ""})
#: Currencies whose minor unit is not a hundredth (ISO 4217); every other has two decimals.
_EXPONENT = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "HUF": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}


class BadValue(ValueError):
    """Why a cell could not be read (the caller adds the row and the column)."""


def clean(cell: str) -> str:
    """The cell without blanks around it and without CsvSafe's `'` before a formula character."""
    text = cell.strip()
    if text.startswith("'") and text[1:2] and text[1] in _FORMULA_START:
        return text[1:]
    return text


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def major_to_minor(text: str, currency: str = "USD") -> int:
    """ "19.99" dollars -> 1999 cents; "39.2" -> 3920; "$1,234.5" -> 123450. Rounded half-up to the
    minor unit (float noise in the export). Empty is an error (the caller decides what a blank means)."""
    raw = text.strip().lstrip("$€£").replace(",", "")
    found = _MAJOR.match(raw)
    if found is None:
        raise BadValue(f"not an amount: {text[:40]!r} (expected a number such as 19.99)")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise BadValue(f"not an amount: {text[:40]!r}") from None
    places = exponent(currency)
    minor = (value * (Decimal(10) ** places)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(minor)


def minor_amount(text: str, currency: str) -> int:
    """An API amount: whole minor units ("999" = 9.99). A cell with a decimal point is read as major
    units instead ("9.99"), as a dashboard export would show it."""
    raw = text.strip()
    if _MINOR.match(raw):
        return int(raw)
    return major_to_minor(raw, currency)


def currency_code(text: str) -> str:
    code = text.strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise BadValue(f"not a currency code: {text[:20]!r} (expected three letters such as USD)")
    return code


def flag(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadValue(f"not a yes/no value: {text[:20]!r} (expected 1 or 0, true or false)")


def whole(text: str, most: int = 1_000_000_000) -> int:
    raw = text.strip()
    if raw == "":
        return 0
    if not (raw.isascii() and raw.isdigit()) or int(raw) > most:
        raise BadValue(f"not a whole number from 0 to {most}: {text[:20]!r}")
    return int(raw)


def moment(text: str) -> str:
    """Any date form the platforms write, as UTC ISO 8601 to the second ("2024-05-01T13:45:00Z"):
    `2024-05-01`, `2024-05-01 13:45:00 +0000`, `… UTC`, `2021-08-17T09:45:53.000000Z`, epoch seconds."""
    raw = text.strip()
    try:
        if _EPOCH.match(raw):
            stamp = datetime.fromtimestamp(float(raw), UTC)
        elif _DAY.match(raw):
            stamp = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            found = _WORDY.match(raw)
            if found is None:
                raise ValueError
            zone = found["zone"] or "UTC"
            zone = "+00:00" if zone in ("UTC", "Z") else zone
            stamp = datetime.fromisoformat(found["stamp"].replace(" ", "T") + zone)
    except (ValueError, OverflowError, OSError):
        raise BadValue(
            f"not a date: {text[:40]!r} (expected 2024-05-01, 2024-05-01 13:45:00 +0000 or ISO 8601)"
        ) from None
    if not 1990 <= stamp.year <= 2200:
        raise BadValue(f"not a plausible date: {text[:40]!r}")
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
