"""The CLI's noun groups and top-level commands, in one place: each area is one line below.

A noun group's module has `app: typer.Typer`; a top-level verb's module has `command() -> TopCommand`.
Modules are imported by name when the root app is built, so `import paidpdf.admin` stays cheap and
none of them needs to import this one (no import circle).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

from paidpdf.admin.context import TopCommand

#: `paidpdf <noun> <verb>`: (name on the command line, module under paidpdf.admin).
NOUN_GROUPS = (("orders", "orders"), ("users", "users"), ("content", "content"), ("db", "db"))
#: Top-level verbs that are not nouns.
TOP_COMMANDS = ("demo", "stripe_local", "serve")


def _module(name: str) -> Any:
    return importlib.import_module(f"paidpdf.admin.{name}")


def all_subapps() -> list[tuple[str, typer.Typer]]:
    """(name, Typer) pairs for `add_typer`."""
    return [(name, _module(module).app) for name, module in NOUN_GROUPS]


def all_commands() -> list[TopCommand]:
    """The top-level verbs (`demo`, `stripe-local`, `serve`)."""
    return [_module(module).command() for module in TOP_COMMANDS]
