"""WSGI entry point for the reader site: `app` for any WSGI server (settings from the environment;
PAIDPDF_SECRET_KEY and PAIDPDF_BASE_URL are required unless PAIDPDF_DEV=1)."""

from paidpdf.web.wsgi import main_app

app = main_app()
