"""The list of CLI noun groups and top-level commands. Each area adds itself here with one line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typer


@dataclass
class TopCommand:
    function: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)


def all_subapps() -> list[tuple[str, typer.Typer]]:
    """(name, Typer) pairs, imported lazily so `import paidpdf.admin` stays cheap and side-effect free."""
    found: list[tuple[str, typer.Typer]] = []
    # Each area registers its noun group here, e.g.:
    #   from paidpdf.admin import content; found.append(("content", content.app))
    from paidpdf.admin import orders; found.append(("orders", orders.app))  # noqa: E702, I001
    from paidpdf.admin import users; found.append(("users", users.app))  # noqa: E702, I001
    from paidpdf.admin import content; found.append(("content", content.app))  # noqa: E702, I001
    from paidpdf.admin import db; found.append(("db", db.app))  # noqa: E702, I001
    return found


def all_commands() -> list[TopCommand]:
    """Top-level verbs that are not nouns (`serve`, `demo`, `stripe-local`)."""
    found: list[TopCommand] = []
    from paidpdf.admin import demo; found.append(demo.command())  # noqa: E702, I001
    from paidpdf.admin import stripe_local; found.append(stripe_local.command())  # noqa: E702, I001
    from paidpdf.admin import serve; found.append(serve.command())  # noqa: E702, I001
    return found
