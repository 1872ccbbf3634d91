"""`paidpdf stripe-local`: run the local Stripe stand-in in the foreground (for the demo and by hand).

`paidpdf stripe-local advance 31d` instead moves the time of a running one (`POST /_local/advance`), found
by `--host`/`--port` or, when those are not given, by STRIPE_API_BASE (the demo's `export` line).

The webhook secret comes from STRIPE_WEBHOOK_SECRET like the shop's; when it is unset a fresh `whsec_...`
is generated and printed once, with the line to export so the shop verifies the same signatures. When
STRIPE_SECRET_KEY is set (a test key), only that key is accepted; requests must name the stand-in's own
address in their Host header (no DNS rebinding from a web page).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from paidpdf.admin.context import TopCommand
from paidpdf.admin.output import console, err_console
from paidpdf.errors import InvalidInput


def stripe_local_cmd(
    ctx: typer.Context,
    action: str | None = typer.Argument(
        None,
        metavar="advance",
        help="Instead of running one, move a running stand-in's time (every clock).",
    ),
    duration: str | None = typer.Argument(None, metavar="DURATION", help="How far: 31d, 12h, 90m, 45s, 2w."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (keep loopback)."),
    port: int = typer.Option(12111, "--port", min=0, max=65535, help="Port (0 = any free port)."),
    webhook_url: str | None = typer.Option(
        None,
        "--webhook-url",
        metavar="URL",
        help="Where to POST signed webhooks (the shop's /stripe/webhook).",
    ),
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        metavar="URL",
        help="Base URL of the checkout pages (default: the bound address).",
    ),
    state_file: Path | None = typer.Option(
        None, "--state", metavar="FILE", help="Keep sessions, payments and events in this JSON file."
    ),
    retry_base: float = typer.Option(1.0, "--retry-base", min=0.0, help="First webhook retry delay (s)."),
    max_attempts: int = typer.Option(8, "--max-attempts", min=1, help="Webhook delivery attempts per event."),
    async_delay: float = typer.Option(
        2.0, "--async-delay", min=0.0, help="Seconds before a delayed payment succeeds or fails."
    ),
) -> None:
    """Run a local Stripe stand-in (API, test checkout page, signed webhooks), or move its time.

    Example: paidpdf stripe-local --port 12111 --webhook-url http://127.0.0.1:8080/stripe/webhook

    Example: paidpdf stripe-local advance 31d --port 12111   (renewals, retries and ends fall due)
    """
    from paidpdf.stripe_local import Config, StripeLocal, new_webhook_secret

    if action is not None:
        given = {
            name: getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"
            for name in ("host", "port")
        }
        _advance(action, duration, *_target(host, port, given))
        return

    for name, value in (("--webhook-url", webhook_url), ("--public-url", public_url)):
        if value is not None and not value.startswith(("http://", "https://")):
            raise InvalidInput(f"{name} must start with http:// or https://, got {value!r}")
    api_key = os.environ.get("STRIPE_SECRET_KEY", "").strip() or None
    if api_key is not None and not api_key.startswith(("sk_test_", "rk_test_")):
        raise InvalidInput("STRIPE_SECRET_KEY must be a test key (sk_test_...) for the local stand-in")
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "").strip()
    generated = not secret
    if generated:
        secret = new_webhook_secret()
    config = Config(
        webhook_url=webhook_url,
        webhook_secret=secret,
        public_url=(public_url or "").rstrip("/"),
        retry_base=retry_base,
        max_attempts=max_attempts,
        async_delay=async_delay,
        state_path=state_file,
        api_key=api_key,
    )
    try:
        server = StripeLocal(config, host, port)
    except OSError as exc:
        raise InvalidInput(f"cannot start on {host}:{port}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    with _stop_signals() as stopping:  # before the address is announced: a signal any time after it stops
        _announce(server, webhook_url, api_key, secret if generated else None)
        try:
            server.start()
            while not stopping.is_set():
                time.sleep(0.05)
        finally:
            server.stop()
    console().print("Stopped.")


def _target(host: str, port: int, given: dict[str, bool]) -> tuple[str, int]:
    """Where `advance` goes: `--host`/`--port` when given, else the stand-in `STRIPE_API_BASE` names
    (what the demo's `export` line sets), else the defaults."""
    from urllib.parse import urlsplit

    base = urlsplit(os.environ.get("STRIPE_API_BASE", "").strip())
    if base.scheme == "http" and base.hostname and base.port:
        host = host if given["host"] else base.hostname
        port = port if given["port"] else base.port
    return host, port


def _advance(action: str, duration: str | None, host: str, port: int) -> None:
    """`stripe-local advance 31d`: ask the running stand-in (`POST /_local/advance`) to move every clock."""
    import http.client
    import json
    from urllib.parse import urlencode

    if action != "advance":
        raise InvalidInput(
            f"unknown action {action!r}: the only one is `advance DURATION` (e.g. advance 31d)"
        )
    if not duration:
        raise InvalidInput("advance needs a duration such as 31d, 12h, 90m or 3600s")
    key = os.environ.get("STRIPE_SECRET_KEY", "").strip() or "sk_test_stripe_local_cli"
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request(
            "POST",
            "/_local/advance",
            body=urlencode({"by": duration}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = connection.getresponse()
        body = answer.read()
    except OSError as exc:
        raise InvalidInput(f"no stand-in answers on {host}:{port} ({exc.strerror or exc})") from None
    finally:
        connection.close()
    try:
        result = json.loads(body)
    except ValueError:
        raise InvalidInput(f"{host}:{port} is not a stripe-local stand-in (HTTP {answer.status})") from None
    if answer.status != 200:
        message = (result.get("error") or {}).get("message") if isinstance(result, dict) else None
        raise InvalidInput(f"the stand-in refused: {message or f'HTTP {answer.status}'}")
    console().print(
        f"Moved time by {duration}: {result['steps']} billing step(s), "
        f"{result['test_clocks']} test clock(s); the stand-in's clock now reads {result['now']}."
    )


def _announce(server: Any, webhook_url: str | None, api_key: str | None, generated: str | None) -> None:
    out = console()
    out.print(f"[bold]Local Stripe stand-in[/] listening on {server.url}")
    keys = "only STRIPE_SECRET_KEY's key works" if api_key else "any sk_test_... key works"
    out.print(f"  API base:  STRIPE_API_BASE={server.url}   ({keys})")
    out.print(f"  Webhooks:  {webhook_url or '(none: events are only stored; see GET /v1/events)'}")
    out.print(f"  Controls:  {server.url}/_local")
    if generated:
        err_console().print(
            "STRIPE_WEBHOOK_SECRET is not set; generated one for this run. Give the shop the same secret:\n"
            f"  export STRIPE_WEBHOOK_SECRET={generated}"
        )
    out.print("Press Ctrl+C to stop.")


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT (Ctrl+C) or SIGTERM. The server runs in a thread and the main thread
    only waits for this flag: a KeyboardInterrupt raised at an arbitrary point inside the server's
    loop could leave it half shut down (and hang on exit, as seen under load)."""
    stopping = threading.Event()

    def ask_to_stop(_signum: int, _frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopping
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def command() -> TopCommand:
    return TopCommand(stripe_local_cmd, {"name": "stripe-local"})
