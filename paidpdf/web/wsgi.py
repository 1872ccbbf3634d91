"""The site for any WSGI server (`waitress-serve reader:app`, gunicorn, uWSGI), configured only by the
environment.

Such a server gives the app no listen address, so the app cannot tell whether it is reachable from
other machines the way `paidpdf serve` can. It therefore demands what a public shop needs:
`PAIDPDF_SECRET_KEY` and an explicit `PAIDPDF_BASE_URL` (the loopback default would put wrong links in
mails and Stripe return URLs). `PAIDPDF_DEV=1` lifts both for a developer's own machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import bottle

from paidpdf.config import Settings
from paidpdf.errors import ConfigError
from paidpdf.sales.tax_checkout import check_items_sellable
from paidpdf.store.files.permissions import private_umask
from paidpdf.web.app import create_app


def app_from_environ(environ: Mapping[str, str] | None = None) -> bottle.Bottle:
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    if env.get("PAIDPDF_DEV", "").strip() != "1":
        wanted = ("PAIDPDF_SECRET_KEY", "PAIDPDF_BASE_URL")
        missing = [name for name in wanted if not env.get(name, "").strip()]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} must be set when a WSGI server runs the shop "
                "(PAIDPDF_DEV=1 allows the loopback defaults on a developer's machine)"
            )
    app = create_app(settings)
    check_items_sellable(settings, app.web.store)  # as `serve` does (docs/tax.md)
    return app


def main_app() -> bottle.Bottle:
    """`app_from_environ`, but a configuration mistake is one line on stderr and exit status 2
    (WSGI servers would otherwise print a traceback for an error at import time)."""
    private_umask()
    try:
        return app_from_environ()
    except ConfigError as exc:
        print(f"paidpdf: {exc.message}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
