"""Read-only figures for the dashboard: per-machine Claude usage and OpenAI-side spend.

Both use the rolling 30-day window of app.services.spend: Claude usage counts ledger rows
that started at or after `window_start(now)`; OpenAI-side spend sums the settled hourly
buckets from the same hour on, plus what is reserved for requests still in flight.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import ClaudeRequest, SpendBucket
from app.services.credentials import machines as machines_service
from app.services.quota import window as spend_window

TOKEN_KINDS = ("input", "output", "cache_creation", "cache_creation_5m", "cache_creation_1h", "cache_read")
_TOKEN_COLUMNS = (
    ClaudeRequest.input_tokens, ClaudeRequest.output_tokens, ClaudeRequest.cache_creation_input_tokens,
    ClaudeRequest.cache_creation_5m_tokens, ClaudeRequest.cache_creation_1h_tokens,
    ClaudeRequest.cache_read_input_tokens,
)


@dataclass
class MachineUsage:
    """A machine and its Claude usage over the window (API-list-price USD equivalent)."""

    machine: object
    requests: int = 0
    tokens: dict = field(default_factory=lambda: dict.fromkeys(TOKEN_KINDS, 0))
    cost_micro_usd: int = 0
    last_request_at: Optional[datetime] = None

    @property
    def last_seen_at(self):
        """When the machine was last seen: the proxy's stamp, else its latest request in the window."""
        seen = [t for t in (self.machine.last_seen_at, self.last_request_at) if t is not None]
        return max(seen) if seen else None


def _usage_rows(user_id, now, machine_id=None):
    query = (
        select(ClaudeRequest.machine_id, func.count(), *[func.coalesce(func.sum(c), 0) for c in _TOKEN_COLUMNS],
               func.coalesce(func.sum(ClaudeRequest.cost_micro_usd), 0), func.max(ClaudeRequest.started_at))
        .where(ClaudeRequest.user_id == user_id, ClaudeRequest.started_at >= spend_window.window_start(now))
        .group_by(ClaudeRequest.machine_id))
    if machine_id is not None:
        query = query.where(ClaudeRequest.machine_id == machine_id)
    return {row[0]: row for row in db.session.execute(query).all()}


def _with_usage(machine, row):
    usage = MachineUsage(machine)
    if row is not None:
        usage.requests = int(row[1])
        usage.tokens = {kind: int(value) for kind, value in zip(TOKEN_KINDS, row[2:8])}
        usage.cost_micro_usd = int(row[8])
        usage.last_request_at = row[9]
    return usage


def machine_usage(user, now):
    """Every machine of the user (newest first) with its usage over the window ending at `now`."""
    rows = _usage_rows(user.id, now)
    return [_with_usage(machine, rows.get(machine.id)) for machine in machines_service.list_machines(user)]


def usage_of_machine(machine, now):
    """One machine's usage over the window ending at `now`."""
    return _with_usage(machine, _usage_rows(machine.user_id, now, machine.id).get(machine.id))


def total_usage(report):
    """The sum of a machine_usage() report: requests, tokens by kind and API-equivalent cost."""
    total = MachineUsage(machine=None)
    for usage in report:
        total.requests += usage.requests
        total.cost_micro_usd += usage.cost_micro_usd
        for kind in TOKEN_KINDS:
            total.tokens[kind] += usage.tokens[kind]
    return total


@dataclass
class SpendSummary:
    """A user's OpenAI-side spend against their cap and overage cap over the window."""

    window_start: datetime
    now: datetime
    cap_micro_usd: int
    spent_micro_usd: int
    overage_micro_usd: int
    in_flight_micro_usd: int
    overage_enabled: bool
    overage_cap_micro_usd: int
    hep_token_balance_micro: int
    hep_tokens_per_usd: object

    @property
    def remaining_micro_usd(self):
        """What is left under the cap (never negative)."""
        return max(0, self.cap_micro_usd - self.spent_micro_usd)

    @property
    def overage_remaining_micro_usd(self):
        """What is left under the overage cap (never negative)."""
        return max(0, self.overage_cap_micro_usd - self.overage_micro_usd)

    @property
    def hep_tokens_usd_value_micro(self):
        """How much overage the hep-token balance pays for, in micro-dollars (rounded down)."""
        rate = self.hep_tokens_per_usd
        return int(self.hep_token_balance_micro / rate) if rate else 0


def spend_summary(user, now):
    """The user's settled spend, overage and in-flight reservations over the window ending at `now`."""
    window = spend_window.window_spend(user.id, now)
    return SpendSummary(
        window_start=spend_window.window_start(now), now=now, cap_micro_usd=user.cap_micro_usd,
        spent_micro_usd=window.spend_micro_usd, overage_micro_usd=window.overage_micro_usd,
        in_flight_micro_usd=user.reserved_micro_usd, overage_enabled=user.overage_enabled,
        overage_cap_micro_usd=user.overage_cap_micro_usd, hep_token_balance_micro=user.hep_token_balance_micro,
        hep_tokens_per_usd=current_app.config["HEP_TOKENS_PER_USD"])


@dataclass
class SpendDay:
    """One UTC day of the window: that day's spend and the running total up to its end."""

    day: date
    spent_micro_usd: int
    overage_micro_usd: int
    cumulative_micro_usd: int


def spend_by_day(user, now):
    """Every UTC day of the window ending at `now`, oldest first, days without spend included."""
    settled = {day: (amount, overage) for day, amount, overage in spend_window.daily_spend(user.id, now)}
    first, last = spend_window.window_start(now).date(), now.date()
    days, running = [], 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        amount, overage = settled.get(day, (0, 0))
        running += amount
        days.append(SpendDay(day, amount, overage, running))
    return days


def window_spend_by_user(now):
    """{user_id: settled spend in the window} for every user with spend (one grouped query)."""
    rows = db.session.execute(
        select(SpendBucket.user_id, func.sum(SpendBucket.spend_micro_usd))
        .where(SpendBucket.bucket_start >= spend_window.window_start(now))
        .group_by(SpendBucket.user_id)).all()
    return {user_id: int(total) for user_id, total in rows}

