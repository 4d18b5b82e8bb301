"""Password hashing with argon2id, and the check against the most common passwords."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from flicklist.rules import PASSWORD_MIN


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher_for(
        config["ARGON2_TIME_COST"],
        config["ARGON2_MEMORY_COST_KIB"],
        config["ARGON2_PARALLELISM"],
    )


@cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )


def hash_password(password: str) -> str:
    """An argon2id hash with the configured parameters (slow on purpose)."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises for a bad or foreign hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verify_time(password: str) -> None:
    """Verify a dummy hash: an unknown email costs as long as a wrong password."""
    verify_password(_dummy_hash(), password)


def _dummy_hash() -> str:
    key = "_flicklist_dummy_hash"
    dummy = current_app.extensions.get(key)
    if dummy is None:
        dummy = current_app.extensions[key] = hash_password("not the password")
    return dummy


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most frequent passwords from real leaks, offline.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= PASSWORD_MIN)


def is_common_password(password: str) -> bool:
    """True for one of the most common passwords, whatever its case."""
    return password.lower() in _common_passwords()
