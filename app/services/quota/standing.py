"""A user's standing against the rolling 30-day cap (SPEC §4): limits, settled spend, reservations.

Read with the user's row lock by admission and settlement (app.services.quota.admission,
.settlement), and without locks for the remaining-allowance header.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

from app.models.base import utcnow
from app.services.db.raw_sql import Sql, read_connection
from app.services.quota.pricing import hep_balance_value_micro_usd, hep_tokens_micro
from app.services.quota.refusal import NO_HEP_TOKENS, OVERAGE_CAP, QUOTA_EXHAUSTED
from app.services.quota.window import window_start

USER_FIELDS = "cap_micro_usd, overage_enabled, overage_cap_micro_usd, hep_token_balance_micro, reserved_micro_usd"
_LOCK_USER = Sql(f"SELECT {USER_FIELDS} FROM users WHERE id = :user_id FOR UPDATE")
_READ_USER = Sql(f"SELECT {USER_FIELDS} FROM users WHERE id = :user_id")
WINDOW_SUMS = Sql("SELECT COALESCE(SUM(spend_micro_usd), 0), COALESCE(SUM(overage_micro_usd), 0) FROM spend_buckets "
              "WHERE user_id = :user_id AND bucket_start >= :since")


@dataclass(frozen=True)
class Standing:
    """A user's position in the window: limits, settled spend and overage, in-flight reservations."""

    cap: int
    overage_enabled: bool
    overage_cap: int
    balance_micro: int
    reserved: int
    spend: int
    overage: int
    tokens_per_usd: Decimal

    @property
    def used(self):
        """Settled spend plus what requests in flight have reserved."""
        return self.spend + self.reserved

    @property
    def inflight_overage(self):
        """The part of the reservations that lands past the cap if they settle as estimated."""
        return max(0, self.reserved - max(0, self.cap - self.spend))

    def remaining(self):
        """Micro-dollars still spendable in the window before requests are refused."""
        in_cap = max(0, self.cap - self.used)
        if not self.overage_enabled:
            return in_cap
        overage_left = max(0, self.overage_cap - self.overage - self.inflight_overage)
        value = hep_balance_value_micro_usd(self.balance_micro, self.tokens_per_usd)
        if value is not None:
            overage_left = min(overage_left, max(0, value - self.inflight_overage))
        return in_cap + overage_left

    def refusal(self, estimate):
        """None to serve, else the reason, checked in SPEC §4's order."""
        if self.used < self.cap:
            return None
        if not self.overage_enabled:
            return QUOTA_EXHAUSTED
        if self.overage + self.inflight_overage >= self.overage_cap:
            return OVERAGE_CAP
        if hep_tokens_micro(self.inflight_overage + estimate, self.tokens_per_usd) > self.balance_micro:
            return NO_HEP_TOKENS
        return None


def _rate():
    return current_app.config["HEP_TOKENS_PER_USD"]


def standing_from(user_row, sums):
    """A Standing from a users row (USER_FIELDS) and the window's (spend, overage) sums."""
    cap, overage_enabled, overage_cap, balance, reserved = user_row
    return Standing(cap, bool(overage_enabled), overage_cap, balance, reserved, int(sums[0]), int(sums[1]), _rate())


def locked_standing(sql, user_id, now):
    # Lock first, then sum: on PostgreSQL a statement's snapshot predates any lock wait, so the
    # buckets are read by a second statement that sees every settlement committed before the lock.
    user_row = sql.one(_LOCK_USER, user_id=user_id)
    return standing_from(user_row, sql.one(WINDOW_SUMS, user_id=user_id, since=window_start(now)))


def current_standing(user_id, now=None):
    """A user's standing read without locks (for the remaining-allowance header)."""
    now = now or utcnow()
    with read_connection() as sql:
        return standing_from(sql.one(_READ_USER, user_id=user_id),
                         sql.one(WINDOW_SUMS, user_id=user_id, since=window_start(now)))

