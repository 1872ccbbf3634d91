"""The CLI's noun groups and top-level commands, in one place: each area is one line below.

A noun group's module has `app: typer.Typer`; a top-level verb's module has `command() -> TopCommand`.
Modules are imported only when their command runs (or its own help is asked for): `paidpdf --help`
lists every command from the one-line summaries here, so it never imports the domain behind them.
`tests/test_cli_polish.py` checks each summary is the module's own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.main


@dataclass(frozen=True)
class Entry:
    name: str  # on the command line
    module: str  # under paidpdf.admin
    summary: str  # what `paidpdf --help` shows: the group's help, or the verb's first docstring line
    noun: bool = True


ENTRIES = (
    Entry("orders", "orders",
          "Orders: list, inspect, refund, reconcile with Stripe, sales stats, trace leaks."),
    Entry("users", "users",
          "Reader accounts: list, inspect, add, gift or revoke items, reset downloads, disable."),
    Entry("content", "content",
          "Content: the PDFs you sell (add, list, show, price, edit, update, notify, retire, restore)."),
    Entry("bundles", "bundles",
          "Bundles: several items at one price (add, list, show, edit, retire, restore)."),
    Entry("promos", "promos", "Discount codes: add, list, show, disable."),
    Entry("db", "db", "The database: backup, restore, check, compact, flush, info, init, migrate."),
    Entry("shop", "shop", "The shop's identity: name, tagline, about text, accent colour, logo."),
    Entry("demo", "demo", "Run a demo shop with sample booklets (one free) in its own data folder, kept "
          "between runs.", noun=False),
    Entry("stripe-local", "stripe_local", "Run a local Stripe stand-in (API, test checkout page, signed "
          "webhooks) for the demo and tests.", noun=False),
    Entry("serve", "serve", "Run the reader site on waitress (needs PAIDPDF_SECRET_KEY unless on loopback).",
          noun=False),
)
BY_NAME = {entry.name: entry for entry in ENTRIES}


def load(entry: Entry) -> Any:
    """The click command of one entry, importing its module now."""
    module = importlib.import_module(f"paidpdf.admin.{entry.module}")
    command: Any
    if entry.noun:
        command = typer.main.get_group(module.app)
    else:
        single = typer.Typer(add_completion=False, rich_markup_mode="rich")
        top = module.command()
        single.command(**top.options)(top.function)
        command = typer.main.get_command(single)
    command.name = entry.name
    return command


def summary_command(entry: Entry) -> Any:
    """A stand-in that only carries the name and summary, for the root help's list of commands."""
    return typer.core.TyperCommand(name=entry.name, help=entry.summary, callback=None)
