"""The reader site (Bottle): `create_app(settings)` builds it; see `app.py` and docs/web.md."""

from paidpdf.web.app import create_app

__all__ = ["create_app"]
