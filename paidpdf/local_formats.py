"""Dates, numbers and file sizes as a reader of a given language writes them, through Babel (CLDR).

Never hand-rolled: "7 December 2026" is "7. Dezember 2026", "7 décembre 2026" or "7 de diciembre de
2026", and 1.5 MB is "1,5 MB" in German and French. Stored times are ISO text (`clock.iso`); a value
that does not parse is shown as it is rather than failing the page.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal

from paidpdf.languages import SOURCE

_UNITS = ("KB", "MB", "GB")


def _parsed(value: str | date | None) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        if "T" in text:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def day(value: str | date | None, locale: str | None = None) -> str:
    """A date for people in `locale`: "2026-12-07" -> "7 Dec 2026" / "07.12.2026" (CLDR medium)."""
    found = _parsed(value)
    if found is None:
        return str(value or "")
    plain = found.date() if isinstance(found, datetime) else found
    return str(format_date(plain, format="medium", locale=locale or SOURCE))


def moment(value: str | datetime | None, locale: str | None = None) -> str:
    """A date and time in `locale` (UTC, as stored), CLDR medium date and short time."""
    found = _parsed(value)
    if not isinstance(found, datetime):
        return day(value, locale)
    return str(format_datetime(found, format="medium", locale=locale or SOURCE))


def number(value: int | float, locale: str | None = None) -> str:
    """A count in `locale`: 12345 -> "12,345" / "12.345" / "12 345"."""
    return str(format_decimal(value, locale=locale or SOURCE))


def size(size: int | None, locale: str | None = None) -> str:
    """Bytes for people in `locale`: 1536 -> "1.5 KB" / "1,5 KB" (same units as `byte_sizes`)."""
    if size is None:
        return "?"
    if size < 1024:
        return f"{format_decimal(size, locale=locale or SOURCE)} B"
    value = size / 1024
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{format_decimal(round(value, 1), format='#,##0.0', locale=locale or SOURCE)} {unit}"
        value /= 1024
    return str(size)  # pragma: no cover


def wait(seconds: int, locale: str | None = None) -> str:
    """A waiting time in words: 2 -> "2 seconds" / "2 Sekunden", 300 -> "5 minutes"."""
    return str(format_timedelta(timedelta(seconds=max(1, seconds)), threshold=1.5, locale=locale or SOURCE))


def long_day(value: date, locale: str | None = None) -> str:
    """A date written out for a mail: "7 January 2027", "7. Januar 2027", "7 janvier 2027"."""
    plain = value.date() if isinstance(value, datetime) else value
    return str(format_date(plain, format="long", locale=locale or SOURCE))
