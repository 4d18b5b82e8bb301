"""The failed-login limits: a slot is taken before the password is checked.

Every login attempt takes one slot from two moving windows, its client address's
and its account's, before the view runs: Flask-Limiter's `hit()` is one Lua script
on Redis and runs under a lock in memory, so of any number of simultaneous guesses
at most the limit reach the password hash and the rest answer 429. (Counting after
the answer, as `deduct_when` does, let bursts through: every guess passed the check
before any of them was counted.)

A successful login gives its two slots back, so only failures count. It removes,
of the entries taken since its request began, the oldest: its own or one taken
while it ran, which leaves the window counting failures no shorter than it should.
Storages or strategies other than the moving window in memory or Redis keep the
slot: successful logins then count too, which is stricter, never looser.
"""

import functools
import time
from collections.abc import Callable

from flask import current_app, g, request
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from flicklist.auth.emails import login_email
from flicklist.extensions import client_address, config_limit, limiter
from flicklist.rules import EMAIL_MAX

SCOPES = ("login-address", "login-account")

# Removes, from a moving window (a list of timestamps, newest first), the oldest
# entry taken at or after ARGV[1]; the same in one step, as the limits package's
# own scripts do.
REFUND_SCRIPT = """
local entries = redis.call('lrange', KEYS[1], 0, -1)
for i = #entries, 1, -1 do
    if tonumber(entries[i]) >= tonumber(ARGV[1]) then
        redis.call('lrem', KEYS[1], -1, entries[i])
        return 1
    end
end
return 0
"""


def account_key() -> str:
    """The account being tried, whoever tries it, the way login compares emails."""
    typed = (request.form.get("email") or "")[: EMAIL_MAX * 2]
    return f"account:{login_email(typed)[:EMAIL_MAX]}"


def login_limits(view: Callable) -> Callable:
    """Both failed-login limits on the login view's POSTs, taken before it runs."""
    limit = config_limit("LOGIN_RATE_LIMIT")
    per_address = limiter.limit(
        limit, methods=["POST"], key_func=client_address, scope=SCOPES[0]
    )
    per_account = limiter.limit(
        limit, methods=["POST"], key_func=account_key, scope=SCOPES[1]
    )
    limited = per_address(per_account(view))

    # Flask-Limiter finds the limits by the view's name, which wraps() keeps.
    @functools.wraps(view)
    def timed(*args, **kwargs):
        g.login_attempt_started = time.time()
        return limited(*args, **kwargs)

    return timed


def refund_login_attempt() -> None:
    """Give back the slots this (successful) login took, if it can.

    This reads Flask-Limiter's and the limits package's internals, so it never lets
    a failure through: a slot it cannot give back stays taken (only stricter), and a
    successful login never answers 500 for it.
    """
    try:
        give_back_slots()
    except Exception:
        current_app.logger.warning(
            "login: could not give back a successful login's rate-limit slots",
            exc_info=True,
        )


def give_back_slots() -> None:
    started = g.get("login_attempt_started")
    # Flask-Limiter's scope is "<endpoint>:<scope>". None taken: limits are off
    # (and then Flask-Limiter has no strategy to ask for).
    slots = [
        taken
        for taken in limiter.current_limits
        if taken.request_args[-1].rpartition(":")[2] in SCOPES
    ]
    if started is None or not slots:
        return
    strategy = limiter.limiter
    if not isinstance(strategy, MovingWindowRateLimiter):
        return
    storage = strategy.storage
    for taken in slots:
        remove_entry_since(storage, taken.key, started)


def remove_entry_since(storage, key: str, started: float) -> None:
    if isinstance(storage, RedisStorage):
        script = storage.get_connection().register_script(REFUND_SCRIPT)
        script([storage.prefixed_key(key)], [started])
    elif isinstance(storage, MemoryStorage):
        with storage.locks[key]:
            entries = storage.events.get(key, [])
            for index in range(len(entries) - 1, -1, -1):
                if entries[index].atime >= started:
                    del entries[index]
                    return
