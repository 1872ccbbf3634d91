"""Password hashing with argon2id (argon2-cffi), the memory-hard KDF the guide requires.

Production uses argon2-cffi's defaults, RFC 9106's "low memory" profile: argon2id, 3 passes over
64 MiB with 4 lanes. That costs tens of milliseconds per login on purpose, which makes a test suite
that signs up hundreds of users slow, so the environment variable `PAIDPDF_ARGON2_PROFILE=test`
selects a tiny (still argon2id) profile. It exists for test suites only and is logged loudly when
used (WARNING on the `paidpdf.passwords` logger); anything else but `production` (the default) is a
configuration error.

Each hash holds 64 MiB while it runs, so a burst of sign-ups or logins could exhaust memory: every
hash and verification waits for one of a few slots (`PAIDPDF_HASH_CONCURRENCY`, default: the number
of CPUs, at most 8), so a burst queues instead. Passwords must also be worth hashing: not blank or
invisible once normalised (NFKC), not the account's own email, not one of the 30,000 most common
passwords (the list zxcvbn ships, compiled by Dropbox from leaked password corpora).

Hashes remember their own parameters, so a hash made under one profile still verifies under another.
`needs_rehash` only ever asks for an *upgrade*: a hash is rehashed when its parameters are weaker than
the active profile's, never when they are stronger. So a production deployment started by mistake
with the test profile keeps its users' strong hashes instead of "upgrading" them to cheap ones.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import unicodedata
from collections.abc import Iterator

from argon2 import Parameters, PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from paidpdf.accounts import records
from paidpdf.errors import ConfigError, InvalidInput
from paidpdf.languages import N_

PROFILE_ENV = "PAIDPDF_ARGON2_PROFILE"
CONCURRENCY_ENV = "PAIDPDF_HASH_CONCURRENCY"
MIN_LENGTH = 8
MAX_LENGTH = records.MAX_LENGTH

#: argon2id, t=3, m=64 MiB, p=4: argon2-cffi's default and RFC 9106's second recommended option.
PRODUCTION = RFC_9106_LOW_MEMORY

#: Fast enough for test suites (microseconds), still argon2id so hashes look like real ones.
TEST = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=1, memory_cost=64, parallelism=1
)

PROFILES = {"production": PRODUCTION, "test": TEST}

log = logging.getLogger("paidpdf.passwords")


def profile_name() -> str:
    """The active profile, read from the environment on each call (no import-time configuration)."""
    name = os.environ.get(PROFILE_ENV, "").strip().lower() or "production"
    if name not in PROFILES:
        raise ConfigError(f"{PROFILE_ENV} must be 'production' or 'test', got {name!r}")
    return name


@functools.cache
def hasher_for(name: str) -> PasswordHasher:
    if name != "production":
        log.warning(
            "%s=%s: passwords are hashed with cheap test parameters; never use this in production",
            PROFILE_ENV,
            name,
        )
    return PasswordHasher.from_parameters(PROFILES[name])


def hasher() -> PasswordHasher:
    return hasher_for(profile_name())


def _prepare(password: str) -> str:
    """NFC so that the same visible password typed on different systems gives the same bytes."""
    return unicodedata.normalize("NFC", password)


@functools.cache
def _slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(size)


def concurrency() -> int:
    """How many hashes may run at once in this process (each holds the profile's memory)."""
    text = os.environ.get(CONCURRENCY_ENV, "").strip()
    if not text:
        return max(1, min(8, os.cpu_count() or 1))
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise ConfigError(f"{CONCURRENCY_ENV} must be a whole number from 1 to 64, got {text!r}")
    return int(text)


@contextlib.contextmanager
def _slot() -> Iterator[None]:
    """Wait for a free hashing slot: a burst of requests queues here instead of exhausting memory."""
    with _slots(concurrency()):
        yield


def hash_password(password: str) -> str:
    with _slot():
        return hasher().hash(_prepare(password))


_decoys: dict[str, str] = {}
_decoy_lock = threading.Lock()


def _decoy(name: str) -> str:
    """The fixed hash unknown accounts are checked against, made once per profile (under a lock and a
    slot: a burst of first logins must not make it eight times at once)."""
    with _decoy_lock:
        if name not in _decoys:
            with _slot():
                _decoys[name] = hasher_for(name).hash("decoy password, never matches anything typed")
        return _decoys[name]


def warm_up() -> None:
    """Make the decoy hash now (the web app calls this on start), so the first login for an unknown
    account costs what every later one does."""
    _decoy(profile_name())


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`. A missing or malformed hash still spends one hash so
    that "no such user" and "wrong password" take the same time."""
    h = hasher()
    if not stored or not stored.startswith("$argon2"):
        spend_decoy(password)
        return False
    try:
        with _slot():
            return h.verify(stored, _prepare(password))
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        spend_decoy(password)
        return False


def spend_decoy(password: str) -> None:
    """Verify against a fixed hash and throw the answer away: the cost of a real check, no result."""
    decoy = _decoy(profile_name())
    with _slot(), contextlib.suppress(VerificationError):
        hasher().verify(decoy, _prepare(password))


# -- which passwords are acceptable ------------------------------------------------------------------
@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, lower-case (loaded on first use: it is a large module)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _visible(text: str) -> str:
    """NFKC, then without whitespace and invisible characters (zero-width spaces, bidi marks, ...)."""
    normal = unicodedata.normalize("NFKC", text)
    return "".join(c for c in normal if not c.isspace() and unicodedata.category(c)[0] not in ("C", "Z"))


def check_rules(password: str, email: str | None = None) -> None:
    """`InvalidInput` with a message for people unless `password` is acceptable for `email`'s account."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password is too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password is too long: use at most {MAX_LENGTH} characters")
    visible = _visible(password)
    if not visible:
        raise InvalidInput(N_("the password is blank: it has no visible characters"))
    folded = unicodedata.normalize("NFKC", password).strip().casefold()
    if email and folded in {email.strip().casefold(), email.strip().casefold().partition("@")[0]}:
        raise InvalidInput(N_("the password must not be your email address"))
    if folded in common_passwords() or visible.casefold() in common_passwords():
        raise InvalidInput(
            N_("this password is one of the most common ones and easy to guess: choose another")
        )
    if len(visible) < MIN_LENGTH // 2:
        raise InvalidInput(f"the password needs at least {MIN_LENGTH // 2} visible characters")


def needs_rehash(stored: str) -> bool:
    """True when `stored` is weaker than the active profile (or unusable): rehash upwards only.

    A hash at least as strong as the active profile is kept as it is, whatever the profile, so a
    misconfigured profile can never downgrade the hashes already stored."""
    try:
        found = extract_parameters(stored)
    except (InvalidHashError, ValueError):
        return True
    return is_weaker(found, PROFILES[profile_name()])


def is_weaker(found: Parameters, wanted: Parameters) -> bool:
    """True when any cost or size of `found` is below `wanted`'s, or it is not argon2id."""
    return (
        found.type is not Type.ID
        or found.version < wanted.version
        or found.time_cost < wanted.time_cost
        or found.memory_cost < wanted.memory_cost
        or found.parallelism < wanted.parallelism
        or found.hash_len < wanted.hash_len
        or found.salt_len < wanted.salt_len
    )
