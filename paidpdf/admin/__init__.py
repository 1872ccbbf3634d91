"""The admin CLI (`paidpdf`): Typer sub-apps, one per noun, joined in `main.build_app`.

`build_app` and `main` are loaded on first use (PEP 562), not when the package is: a worker of `serve
--workers` (`python -m paidpdf.admin.serve_worker`) imports this package first, and must not carry Typer,
Rich and every command module (about 10 MB) in each process for nothing. `from paidpdf.admin import
main` (the installed `paidpdf` script) and `import paidpdf.admin.main` work as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paidpdf.admin.main import build_app, main

__all__ = ["build_app", "main"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    cli = importlib.import_module("paidpdf.admin.main")  # binds the package's `main` to it, hence:
    globals().update(build_app=cli.build_app, main=cli.main)  # the names are the functions, as before
    return globals()[name]
