"""`paidpdf stripe-local`: help with an example, clean errors, and a real foreground server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

ROOT = Path(__file__).resolve().parents[2]


def test_help_has_one_line_and_an_example(cli: Callable[..., Result]) -> None:
    result = cli("stripe-local", "--help")
    assert result.exit_code == 0
    assert "Example: paidpdf stripe-local" in result.stdout
    assert "stripe-local" in cli("--help").stdout


def test_bad_url_is_a_one_line_error(cli: Callable[..., Result]) -> None:
    result = cli("stripe-local", "--webhook-url", "ftp://shop")
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "Error: --webhook-url must start with http:// or https://, got 'ftp://shop'"
    )


def test_corrupt_state_file_is_a_one_line_error(cli: Callable[..., Result], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    result = cli("stripe-local", "--port", "0", "--state", str(state))
    assert result.exit_code == 2
    assert "is not a stripe-local state file" in result.stderr
    assert "Traceback" not in result.stderr


def test_runs_in_the_foreground_and_prints_a_secret_when_unset() -> None:
    env = {k: v for k, v in os.environ.items() if k != "STRIPE_WEBHOOK_SECRET"}
    env["COLUMNS"] = "200"
    process = subprocess.Popen(
        [sys.executable, "cli.py", "stripe-local", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first
        url = first.rsplit(" ", 1)[1].strip()
        request = urllib.request.Request(f"{url}/v1/events", headers={"Authorization": "Bearer sk_test_cli"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["object"] == "list"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "export STRIPE_WEBHOOK_SECRET=whsec_" in err


def test_sigterm_stops_it_cleanly_too() -> None:
    """A service manager stops it with SIGTERM: same clean stop as Ctrl+C, status 0."""
    process = subprocess.Popen(
        [sys.executable, "cli.py", "stripe-local", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "listening on http://127.0.0.1:" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Stopped." in out


def test_advance_moves_a_running_stand_ins_time(cli: Callable[..., Result]) -> None:
    """`paidpdf stripe-local advance 31d --port P` renews a subscription of the running stand-in."""
    import stripe

    from paidpdf.stripe_local import start_in_thread
    from tests.stripe_local.billing import subscribe

    with start_in_thread() as running:
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": running.url})
        customer = client.v1.customers.create(params={"email": "m@example.com"})
        sub = subscribe(client, running, customer.id)
        result = cli("stripe-local", "advance", "32d", "--port", str(running.port))
        assert result.exit_code == 0, result.stderr
        assert "Moved time by 32d" in result.stdout
        invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
        assert [i.billing_reason for i in invoices] == ["subscription_cycle", "subscription_create"]
        bad = cli("stripe-local", "advance", "soon", "--port", str(running.port))
        assert (
            bad.exit_code == 2 and "Invalid duration 'soon'" in bad.stderr and "Traceback" not in bad.stderr
        )


def test_advance_without_a_stand_in_is_a_one_line_error(cli: Callable[..., Result]) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("stripe-local", "advance", "31d", "--port", str(port))
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: no stand-in answers on 127.0.0.1:{port}")
    assert "Example: paidpdf stripe-local advance 31d" in cli("stripe-local", "--help").stdout


def test_advance_finds_the_demos_stand_in_through_its_export_line(cli: Callable[..., Result]) -> None:
    """With the demo's `export STRIPE_API_BASE=... STRIPE_SECRET_KEY=...`, no --port is needed, and a
    stand-in that accepts only its own key is reached with it."""
    from paidpdf.stripe_local import start_in_thread

    with start_in_thread(api_key="sk_test_demo_only") as running:
        env = {"STRIPE_API_BASE": running.url, "STRIPE_SECRET_KEY": "sk_test_demo_only"}
        result = cli("stripe-local", "advance", "12h", env=env)
        assert result.exit_code == 0, result.stderr
        assert running.state.now() >= int(__import__("time").time()) + 12 * 3600 - 5
        wrong = cli("stripe-local", "advance", "12h", env={**env, "STRIPE_SECRET_KEY": "sk_test_other"})
        assert wrong.exit_code == 2 and "the stand-in refused: Invalid API Key" in wrong.stderr
