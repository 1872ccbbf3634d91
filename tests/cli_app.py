"""The paidpdf CLI for in-process tests: one app per worker, turned into its click command once.

typer turns a Typer app into click commands on every `CliRunner.invoke`, reading every command's
signature and type hints again (about 50 ms: a fifth of a typical CLI test). `build_app()` makes the
same tree each time, and an invocation keeps its state in the click context it makes, so the tests
invoke one app (`paidpdf_app()`) and its click command is made once: `typer.testing` asks
`_get_command` for it, which answers that app from the cache and any other app as before. A test of
the app's own construction still calls `build_app()`.
"""

from __future__ import annotations

import functools
from typing import Any

import typer
import typer.testing

from paidpdf.admin import build_app


@functools.cache
def paidpdf_app() -> typer.Typer:
    return build_app()


_convert = typer.testing._get_command


@functools.cache
def _command() -> Any:
    return _convert(paidpdf_app())


def _get_command(app: typer.Typer) -> Any:
    return _command() if app is paidpdf_app() else _convert(app)


typer.testing._get_command = _get_command
