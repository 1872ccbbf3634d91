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
    threads: int = typer.Option(
        DEFAULT_THREADS, "--threads", min=1, max=256, help="Threads per worker."
    ),
    trusted_proxy: str | None = typer.Option(
        None, "--trusted-proxy", metavar="IP", help="Your reverse proxy's address; its X-Forwarded-* count."
    ),
    connection_limit: int = typer.Option(
        DEFAULT_CONNECTION_LIMIT, "--connection-limit", min=10, max=100_000,
        help="Open connections per worker.",
    ),
    idle_timeout: int = typer.Option(
        DEFAULT_IDLE_TIMEOUT, "--idle-timeout", min=1, max=3600, help="Seconds a silent connection stays."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64,
        help="Processes answering on the address (default: the number of CPUs; 1: no supervisor).",
    ),
) -> None:
    """Run the reader site on waitress (needs PAIDPDF_SECRET_KEY unless on loopback).

    Put a buffering reverse proxy (nginx, Caddy) with TLS in front of it on a public address.
    With several workers, SIGHUP replaces them one by one (after an upgrade) and SIGTERM lets requests
    and downloads under way finish (PAIDPDF_SHUTDOWN_GRACE seconds).

    Example: paidpdf serve --host 127.0.0.1 --port 8080 --workers 2 --threads 4 --connection-limit 2000
    """
    from paidpdf.admin.serve_workers import cpu_count, serve_with_workers
    from paidpdf.admin.site_server import run_site

    cli = state(ctx)
    store = cli.creating_store  # a new shop's first run creates its data folder
    from paidpdf.sales.tax_checkout import check_items_sellable

    check_items_sellable(cli.settings, store)  # PAIDPDF_TAX=managed: every item needs an eligible code
    count = workers if workers is not None else cpu_count()
    if count > 1:
        cli.close()  # each worker opens its own store handle; the supervisor keeps none
        serve_with_workers(
            cli.settings, count, host=host, port=port, threads=threads, trusted_proxy=trusted_proxy,
            connection_limit=connection_limit, idle_timeout=idle_timeout,
        )
        return
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
