"""`Vary` on a response, added to rather than replaced: a page may depend on the language
(`reader_locale`) and on the currency (`currency_choice`) at once, and each adds what it read."""

from __future__ import annotations

from bottle import response


def add(*names: str) -> None:
    """Add `names` to this response's `Vary`, keeping what is there, each name once."""
    present = [v.strip() for v in (response.get_header("Vary") or "").split(",") if v.strip()]
    lowered = {v.lower() for v in present}
    for name in names:
        if name.lower() not in lowered:
            present.append(name)
            lowered.add(name.lower())
    response.set_header("Vary", ", ".join(present))
