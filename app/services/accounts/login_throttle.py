"""Sign-in throttling per account and per client address, kept in the database.

Policy: each scope counts failed sign-ins in a fixed window; reaching the limit locks that
scope until the lockout ends, whatever password comes next (so a correct guess during a
lockout tells an attacker nothing). Counters exist for unknown emails exactly as for known
ones, so the throttle never reveals whether an account exists. A successful sign-in clears
the account's counter but not the address's: otherwise one valid account would let an
attacker reset the address limit between guesses at others.

The counters live in `login_throttles`, so every instance behind a load balancer enforces
the same limits. Keys are stored as SHA-256 digests.
"""
import hashlib
import math
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import LoginThrottle
from app.models.base import utcnow
from app.services.db.engine import is_sqlite
from app.services.db.transactions import write_transaction
from app.services.errors import RateLimited

SCOPE_ACCOUNT = "account"
SCOPE_ADDRESS = "address"


class Limit(NamedTuple):
    """At most `max_failures` failures per `window`; reaching it locks for `lockout`."""

    max_failures: int
    window: timedelta
    lockout: timedelta


LIMITS = {
    SCOPE_ACCOUNT: Limit(5, timedelta(minutes=15), timedelta(minutes=15)),
    SCOPE_ADDRESS: Limit(20, timedelta(minutes=15), timedelta(minutes=15)),
}
# Rows untouched for this long (and not locked) are forgotten.
RETENTION = timedelta(days=1)


def _digest(scope, key):
    return hashlib.sha256(f"{scope}:{key}".encode("utf-8", "surrogateescape")).hexdigest()


def _keys(email, address):
    keys = [(SCOPE_ACCOUNT, _digest(SCOPE_ACCOUNT, (email or "").strip().lower()))]
    if address:
        keys.append((SCOPE_ADDRESS, _digest(SCOPE_ADDRESS, address)))
    return keys


def _retry_message(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts. Try again in {minutes} {unit}."


def check_login_allowed(email, address, now=None):
    """Raise RateLimited (with Retry-After) while the account or the address is locked."""
    now = now or utcnow()
    conditions = [(LoginThrottle.scope == scope) & (LoginThrottle.key_digest == digest)
                  for scope, digest in _keys(email, address)]
    locked = db.session.scalars(
        select(LoginThrottle.locked_until)
        .where(or_(*conditions), LoginThrottle.locked_until.is_not(None), LoginThrottle.locked_until > now)
    ).all()
    if locked:
        seconds = max(1, math.ceil((max(locked) - now).total_seconds()))
        raise RateLimited(_retry_message(seconds), code="too_many_attempts",
                          headers={"Retry-After": str(seconds)})


def _ensure_row(scope, digest, now):
    insert = sqlite_insert if is_sqlite() else pg_insert
    db.session.execute(
        insert(LoginThrottle)
        .values(scope=scope, key_digest=digest, failures=0, window_started_at=now, updated_at=now)
        .on_conflict_do_nothing())


def record_login_failure(email, address, now=None):
    """Count one failed sign-in against the account and the address, locking either at its limit."""
    now = now or utcnow()
    with write_transaction():
        for scope, digest in _keys(email, address):
            limit = LIMITS[scope]
            _ensure_row(scope, digest, now)
            row = db.session.scalar(
                select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key_digest == digest)
                .with_for_update().execution_options(populate_existing=True))
            if row.window_started_at <= now - limit.window:
                row.failures = 0
                row.window_started_at = now
            row.failures += 1
            if row.failures >= limit.max_failures:
                row.locked_until = now + limit.lockout
                row.failures = 0
                row.window_started_at = now
            row.updated_at = now
        db.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.updated_at < now - RETENTION,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))


def record_login_success(email):
    """Forget the account's failures after a successful sign-in (the address keeps its count)."""
    scope, digest = _keys(email, None)[0]
    with write_transaction():
        db.session.execute(
            delete(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key_digest == digest))
