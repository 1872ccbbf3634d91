"""WSGI entry point for the reader site: `app` for any WSGI server (settings from the environment)."""

from paidpdf.config import Settings
from paidpdf.web import create_app

app = create_app(Settings.from_env())
