"""`paidpdf serve`: the command and its options; the server itself is `site_server` (waitress and
the whole web app), imported only when the command runs so `paidpdf --help` stays fast."""

from __future__ import annotations

import typer

from paidpdf.admin.context import TopCommand, state
from paidpdf.admin.server_limits import DEFAULT_CONNECTION_LIMIT, DEFAULT_IDLE_TIMEOUT, DEFAULT_THREADS


def serve_cmd(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="TCP port (0 picks a free one)."),
    threads: int = typer.Option(DEFAULT_THREADS, "--threads", min=1, max=256, help="Worker threads."),
    trusted_proxy: str | None = typer.Option(
        None, "--trusted-proxy", metavar="IP", help="Your reverse proxy's address; its X-Forwarded-* count."
    ),
    connection_limit: int = typer.Option(
        DEFAULT_CONNECTION_LIMIT, "--connection-limit", min=10, max=100_000, help="Most open connections."
    ),
    idle_timeout: int = typer.Option(
        DEFAULT_IDLE_TIMEOUT, "--idle-timeout", min=1, max=3600, help="Seconds a silent connection stays."
    ),
) -> None:
    """Run the reader site on waitress (needs PAIDPDF_SECRET_KEY unless on loopback).

    Put a buffering reverse proxy (nginx, Caddy) with TLS in front of it on a public address.

    Example: paidpdf serve --host 127.0.0.1 --port 8080 --threads 8 --connection-limit 2000
    """
    from paidpdf.admin.site_server import run_site

    cli = state(ctx)
    store = cli.creating_store  # a new shop's first run creates its data folder
    run_site(
        cli.settings,
        host=host,
        port=port,
        threads=threads,
        store=store,
        trusted_proxy=trusted_proxy,
        connection_limit=connection_limit,
        idle_timeout=idle_timeout,
    )


def command() -> TopCommand:
    return TopCommand(serve_cmd, {"name": "serve"})
