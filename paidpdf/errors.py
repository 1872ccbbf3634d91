"""One error hierarchy for the whole domain.

Adapters translate these and nothing else: the CLI maps `exit_code` to its exit status and prints the
message on one line; the web maps `http_status` to a status page. Anything not derived from
`PaidPdfError` is a bug and surfaces as a 500 / exit 1.
"""

from __future__ import annotations


class PaidPdfError(Exception):
    """Base of every error the product expects and explains to its user."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(PaidPdfError):
    """The user gave something malformed: a bad price, a file that is not what it claims to be."""

    exit_code = 2
    http_status = 400


class ConfigError(PaidPdfError):
    """The environment or options describe a setup that cannot work."""

    exit_code = 2
    http_status = 500


class PaymentsNotConfigured(ConfigError):
    """The shop runs without Stripe keys: buying and webhooks are unavailable (the rest works).

    A `ConfigError` for the CLI (exit 2); the web answers 503, a state the operator can fix."""

    http_status = 503


class AddressInUse(ConfigError):
    """The address and port to listen on are taken by another program (`paidpdf serve`, the demo)."""


class NotFound(PaidPdfError):
    """No such item, user or order."""

    exit_code = 3
    http_status = 404


class Conflict(PaidPdfError):
    """The request clashes with what exists: a duplicate id, an already refunded order."""

    exit_code = 4
    http_status = 409


class AuthRequired(PaidPdfError):
    """The action needs a logged-in user."""

    exit_code = 5
    http_status = 401


class AccessDenied(PaidPdfError):
    """The user is known but not allowed (not an owner, disabled account, bad CSRF token)."""

    exit_code = 5
    http_status = 403


class TooManyAttempts(PaidPdfError):
    """Throttled: too many failed attempts in a short time."""

    exit_code = 6
    http_status = 429


class PaymentMismatch(PaidPdfError):
    """A Stripe event is not this shop's (other mode, a connected account): refused, nothing changes."""

    exit_code = 7
    http_status = 400


class PaymentProviderError(PaidPdfError):
    """Stripe (or the stand-in) could not be reached or refused the request."""

    exit_code = 8
    http_status = 502


class StorageError(PaidPdfError):
    """The data folder cannot be used (not a folder, not writable, lock unavailable)."""

    exit_code = 10
    http_status = 500


class StorageUnavailable(StorageError):
    """The database cannot be reached right now (PostgreSQL down, no free connection): try again later.
    The web answers 503, so a load balancer and Stripe's webhook retries both wait it out."""

    exit_code = 12
    http_status = 503


class StorageCorrupt(StorageError):
    """A data file is not valid JSON. It is never overwritten; the message names a backup to restore."""

    exit_code = 11
