"""The reader site on waitress (threads, streams files from its I/O loop), for `paidpdf serve` and `demo`.

Never wsgiref: it is single-threaded and one slow download would block every other reader.
`run_site` is shared with `paidpdf demo`.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import resource
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, TypedDict, Unpack

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from paidpdf.admin import graceful_stop, loop_answers
from paidpdf.admin.accept_share import AcceptShare, balance
from paidpdf.admin.log_writer import LogWriter
from paidpdf.admin.server_limits import (
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_THREADS,
    GIL_SWITCH_INTERVAL,
)
from paidpdf.config import Settings
from paidpdf.errors import AddressInUse, ConfigError, InvalidInput
from paidpdf.sales import stripe_gateway
from paidpdf.store import DataStore
from paidpdf.web import create_app, forwarded, security
from paidpdf.web.app import MAX_BODY
from paidpdf.web.security import SECURITY_HEADERS

#: Request line plus headers; a browser sends a few KB (waitress's default is 256 KB).
MAX_HEADER = 64 * 1024

#: Bytes waitress reads from a file per send() (see `_BoundedSendChannel`).
SEND_CHUNK = 256 * 1024
DEFAULT_BASE_URL = Settings().base_url

log = logging.getLogger("paidpdf.serve")


class ServerOptions(TypedDict, total=False):
    """Where and how the site listens; `run_site` passes them on to `build_server` unchanged."""

    host: str
    port: int
    threads: int
    store: DataStore | None
    trusted_proxy: str | None
    connection_limit: int
    idle_timeout: int
    page_caches: bool  # False only for bench/web.py's uncached side (see `create_app`); serve keeps them
    listen_socket: socket.socket | None  # bound and listening already (a `--workers` worker's shared one)
    accept_share: tuple[AcceptShare, int] | None  # `--workers`: the shared counts and this worker's slot


def build_server(settings: Settings, **options: Unpack[ServerOptions]) -> Any:
    """A bound, not yet running waitress server for the site (`port=0` picks a free port).

    Without PAIDPDF_BASE_URL (the default `http://127.0.0.1:8080`) on a loopback address, the public
    URL used in mails is the address actually bound, so `--port 9000` sends working reset links.
    """
    host = options.get("host", "127.0.0.1")
    trusted_proxy = options.get("trusted_proxy")
    waitress_options: dict[str, Any] = {
        "threads": options.get("threads", DEFAULT_THREADS),
        "ident": "paidpdf",
        "max_request_body_size": MAX_BODY,
        "max_request_header_size": MAX_HEADER,
        "expose_tracebacks": False,
        # Without a trusted proxy, `forwarded.watching` drops the proxy headers instead of waitress, so
        # that the proxy trap (a proxy not declared with --trusted-proxy) is seen and named once.
        "clear_untrusted_proxy_headers": bool(trusted_proxy),
        # Idle and slow (slowloris) clients cost a socket each, never a worker thread: waitress only
        # hands complete requests to the threads. So allow many sockets, close silent ones sooner,
        # and poll() instead of select() (select() cannot watch more than 1,024 descriptors).
        "connection_limit": options.get("connection_limit", DEFAULT_CONNECTION_LIMIT),
        "channel_timeout": options.get("idle_timeout", DEFAULT_IDLE_TIMEOUT),
        "cleanup_interval": max(1, min(30, options.get("idle_timeout", DEFAULT_IDLE_TIMEOUT) // 2)),
        "asyncore_use_poll": True,
    }
    if trusted_proxy:
        waitress_options["trusted_proxy"] = trusted_proxy
        waitress_options["trusted_proxy_headers"] = {
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
        }
    shared = options.get("listen_socket")
    if shared is not None:
        waitress_options["sockets"] = [shared]
    else:
        waitress_options.update(host=host, port=options.get("port", 8080))
    check_host(host)  # before the key check: a typo in --host is not a "missing key" problem
    security.load_secret_key(settings, host)  # refuse before binding when the key is missing
    site = _Deferred()
    try:
        served = site if trusted_proxy else forwarded.watching(site, site.watch)
        server = create_server(served, **waitress_options)
    except OSError as exc:
        where = f"{_shown_host(host)}:{options.get('port', 8080)}"
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(f"cannot listen on {where}: address already in use (try --port)") from None
        raise ConfigError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    raise_file_limit(waitress_options["connection_limit"] + 64)
    share = options.get("accept_share")
    if share is not None:
        server.paidpdf_publish = balance(server, *share)
    listeners = [x for x in [server, *getattr(server, "map", {}).values()] if isinstance(x, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = _SiteChannel
    try:
        if settings.base_url == DEFAULT_BASE_URL and security.is_loopback(host):
            settings = settings.replace(base_url=server_url(server))
        site.app = create_app(
            settings, store=options.get("store"), bind_host=host, page_caches=options.get("page_caches", True)
        )
        server.paidpdf_site = site.app
        front = site.app.front
        on_data_folder = type(site.app.web.store).__module__.startswith("paidpdf.store.embedded")
        if front is not None and on_data_folder:  # never on PostgreSQL (`loop_answers`)
            for listener in listeners:
                loop_answers.serve_in_loop(listener, front.ready)
    except BaseException:
        server.close()
        raise
    return server


def check_host(host: str) -> None:
    """`InvalidInput` unless `host` is an IP address or a name that resolves (e.g. `256.1.1.1` is not)."""
    name = host.strip().strip("[]")
    if not name:
        raise InvalidInput("--host needs an address to listen on (it was empty)")
    try:
        ipaddress.ip_address(name)
        return
    except ValueError:
        pass
    try:
        socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        raise InvalidInput(f"--host {host!r} is not a valid address or host name to listen on") from None


def _shown_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def raise_file_limit(wanted: int) -> None:
    """Lift this process's soft open-files limit towards `wanted` (each connection is a descriptor;
    a soft limit of 1,024 would refuse connections long before `connection_limit`)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError):
            log.warning("cannot raise the open-files limit to %d (it stays %d)", target, soft)


class _SecureErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress answers malformed or oversized requests (400, 413, 431) itself, without the app:
    give those answers the same security headers as every page."""

    def execute(self) -> None:
        self.response_headers.extend(SECURITY_HEADERS)
        super().execute()


class _BoundedSendChannel(HTTPChannel):  # type: ignore[misc]
    """waitress reads `SO_SNDBUF` bytes of a file per send(); with kernel autotuning that is 4 MB per
    connection, so 8 parallel downloads cost 60+ MB of RSS. Reading at most 256 KiB keeps memory flat
    (measured in bench/web.py) and leaves the kernel's buffer autotuning, and so WAN speed, alone."""

    error_task_class = _SecureErrorTask

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current: int = getattr(self, "sendbuf_len", SEND_CHUNK)
        self.sendbuf_len = min(current, SEND_CHUNK)


class _SiteChannel(loop_answers.LoopAnswers, _BoundedSendChannel):
    """The site's channel: bounded sends, and kept pages answered in the loop (`loop_answers`)."""


class _Deferred:
    """The WSGI app, set once the socket is bound (its URL may depend on the port). Passes the app
    iterable through untouched, so waitress still recognises its own file wrapper."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    def watch(self) -> forwarded.ForwardedWatch | None:
        """The site's record of untrusted forwarded headers (None until the app is made)."""
        return self.app.web.forwarded if self.app is not None else None


def server_url(server: Any) -> str:
    if hasattr(server, "effective_listen"):  # several sockets (e.g. "localhost" on IPv4 and IPv6)
        host, port = server.effective_listen[0][:2]
    else:
        host, port = server.effective_host, server.effective_port
    shown = f"[{host}]" if ":" in str(host) else str(host)
    return f"http://{shown}:{port}"


def run_site(
    settings: Settings,
    *,
    announce: Callable[[str], None] | None = None,
    ready: Callable[[], None] | None = None,
    **options: Unpack[ServerOptions],
) -> None:
    """Serve until Ctrl-C or SIGTERM (a graceful stop: `graceful_stop`). `announce(url)` is called once
    the socket is bound; `ready()` (a `--workers` worker's) once the app is made, instead of the line."""
    ours = not logging.getLogger().handlers  # else tests or an embedding program configured logging
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("stripe").setLevel(logging.WARNING)  # two INFO lines per API call otherwise
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # for waitress's I/O thread (server_limits)
    flag = graceful_stop.StopFlag()
    restore_signals = graceful_stop.catch_signals(flag)
    try:
        server = build_server(settings, **options)
    except BaseException:
        restore_signals()
        raise
    url = server_url(server)
    hooks = _start_hooks(server, settings)
    if ready is not None:
        ready()
    else:
        for name in stripe_gateway.missing_settings(settings):
            log.warning("%s is not set: payments are off (Buy and the Stripe webhook answer 503)", name)
        if announce is not None:
            announce(url)
        else:
            import typer  # loaded already: `paidpdf serve` is a Typer command (a worker never echoes)

            typer.echo(
                f"Serving the reader site on {url} (documents: {settings.documents_location()}; "
                f"files: {settings.files_location()}; data folder: {settings.data_dir}); Ctrl-C stops it."
            )
    sys.stdout.flush()
    lines = LogWriter() if ours else None  # start-up lines above are written already
    grace = float(settings.shutdown_grace)
    try:
        graceful_stop.run_until_stopped(server, grace, flag)
        site = getattr(server, "paidpdf_site", None)
        _drain_background(getattr(site, "web", None), time.monotonic() + grace)
    except KeyboardInterrupt:
        pass
    finally:
        if hooks is not None:
            hooks.stop()
        restore_signals()
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        if lines is not None:
            lines.stop()  # writes what is still queued


def _start_hooks(server: Any, settings: Settings) -> Any:
    """The outgoing hooks' worker thread, on the site's store (docs/hooks.md)."""
    site = getattr(server, "paidpdf_site", None)
    web = getattr(site, "web", None)
    if web is None:
        return None
    from paidpdf.hooks import delivery, runner

    pace = delivery.Pace(settings.hooks_timeout, settings.hooks_first_retry)
    return runner.HookRunner(web.store, pace).start()


def _drain_background(web: Any, deadline: float) -> None:
    """After the last answer: the receipts, mails and download records those requests left behind."""
    if web is None:
        return
    graceful_stop.finish_background(
        deadline, [web.receipts.drain, web.mailer.drain, web.download_recorder.drain]
    )
