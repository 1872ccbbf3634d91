"""Password hashing with argon2id (argon2-cffi), the memory-hard KDF the guide requires.

Production uses argon2-cffi's defaults, RFC 9106's "low memory" profile: argon2id, 3 passes over
64 MiB with 4 lanes. That costs tens of milliseconds per login on purpose, which makes a test suite
that signs up hundreds of users slow, so the environment variable `PAIDPDF_ARGON2_PROFILE=test`
selects a tiny (still argon2id) profile. It exists for test suites only and is logged loudly when
used (WARNING on `paidpdf.passwords`); anything else but `production` (the default) is a configuration
error.

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
import unicodedata

from argon2 import Parameters, PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from paidpdf.errors import ConfigError

PROFILE_ENV = "PAIDPDF_ARGON2_PROFILE"

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


def hash_password(password: str) -> str:
    return hasher().hash(_prepare(password))


@functools.cache
def _decoy(name: str) -> str:
    return hasher_for(name).hash("decoy password, never matches anything typed")


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`. A missing or malformed hash still spends one hash so
    that "no such user" and "wrong password" take the same time."""
    h = hasher()
    if not stored or not stored.startswith("$argon2"):
        spend_decoy(password)
        return False
    try:
        return h.verify(stored, _prepare(password))
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        spend_decoy(password)
        return False


def spend_decoy(password: str) -> None:
    """Verify against a fixed hash and throw the answer away: the cost of a real check, no result."""
    with contextlib.suppress(VerificationError):
        hasher().verify(_decoy(profile_name()), _prepare(password))


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
