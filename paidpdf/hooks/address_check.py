"""Where a hook may be sent: never to this machine or a private network unless the creator allowed it
(`--allow-private`), or a shop's hooks could reach its own database, a cloud's metadata service or an
admin page on the LAN (server-side request forgery).

Checked when a hook is added and again at every delivery, on every address the name resolves to then
(DNS can change), and the request then goes to the very address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from paidpdf.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL, else `InvalidInput`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"a hook URL must be http:// or https:// with a host, got {url!r}")
    if parts.username or parts.password:
        raise InvalidInput("a hook URL must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput(f"the port of {url!r} is not a number") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def private(address: Address) -> bool:
    """Loopback, private, link-local, shared, reserved, multicast or unspecified."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> Address:
    """The address to connect to: every one the name resolves to must be public (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput(f"the hook's host {host!r} cannot be resolved: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise InvalidInput(f"the hook's host {host!r} has no address")
    if not allow_private:
        refused = [a for a in addresses if private(a)]
        if refused:
            raise InvalidInput(
                f"the hook's host {host!r} resolves to {refused[0]}, a loopback, private or link-local "
                "address: refused (use --allow-private for a receiver on your own network)"
            )
    return addresses[0]


def check(url: str, *, allow_private: bool) -> Address:
    _scheme, host, port, _path = parse_url(url)
    return resolve(host, port, allow_private=allow_private)
