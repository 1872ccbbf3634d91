"""The admin CLI (`paidpdf`): Typer sub-apps, one per noun, joined in `main.build_app`."""

from paidpdf.admin.main import build_app, main

__all__ = ["build_app", "main"]
