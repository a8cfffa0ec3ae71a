"""Per-machine Claude usage over the rolling 30-day window, read from the claude_requests ledger.

Rules (shared by the ccas CLI API and the dashboard):
- The window at `now` is `now - 30 days <= started_at <= now` (exact, not hour-aligned: the
  ledger has one row per request, so no buckets are involved).
- Every ledger row counts as a request, whatever its outcome (failed, cancelled and in-progress
  requests were still made); token counts and cost are whatever the row records so far.
- `cost_micro_usd` is the API-list-price USD equivalent the proxy stored, in micro-dollars.
- A revoked machine keeps its history and is reported like any other.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import func, select

from app.extensions import db
from app.models import ClaudeRequest

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class MachineUsage:
    """One machine's totals over the window; a machine without requests has all zeros."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_micro_usd: int = 0
    last_request_at: Optional[datetime] = None

    @property
    def total_tokens(self):
        """Every token kind added up."""
        return (self.input_tokens + self.output_tokens + self.cache_creation_input_tokens
                + self.cache_read_input_tokens)


EMPTY = MachineUsage()


def window_start(now):
    """The earliest started_at that still counts at `now`."""
    return now - WINDOW


def machine_usage(user, now):
    """{machine_id: MachineUsage} for the user's machines with requests in the window ending at `now`.

    One grouped query over the (user_id, started_at) index, however many machines there are;
    machines without requests in the window are absent (use `.get(id, EMPTY)`).
    """
    rows = db.session.execute(
        select(ClaudeRequest.machine_id,
               func.count(ClaudeRequest.id),
               func.coalesce(func.sum(ClaudeRequest.input_tokens), 0),
               func.coalesce(func.sum(ClaudeRequest.output_tokens), 0),
               func.coalesce(func.sum(ClaudeRequest.cache_creation_input_tokens), 0),
               func.coalesce(func.sum(ClaudeRequest.cache_read_input_tokens), 0),
               func.coalesce(func.sum(ClaudeRequest.cost_micro_usd), 0),
               func.max(ClaudeRequest.started_at))
        .where(ClaudeRequest.user_id == user.id,
               ClaudeRequest.started_at >= window_start(now),
               ClaudeRequest.started_at <= now)
        .group_by(ClaudeRequest.machine_id)
    ).all()
    return {
        machine_id: MachineUsage(int(count), int(inp), int(out), int(created), int(read), int(cost), last)
        for machine_id, count, inp, out, created, read, cost, last in rows
    }


def machine_last_seen(machine, usage):
    """When the machine was last heard from: the later of its last_seen_at and its last ledger row."""
    times = [t for t in (machine.last_seen_at, usage.last_request_at) if t is not None]
    return max(times) if times else None
