"""Admission and settlement of OpenAI-side requests against the rolling 30-day cap (SPEC §4).

Two phases, each one short write transaction holding the user's row lock:
- admission reserves an estimate in `users.reserved_micro_usd` (which takes the row lock),
  reads the window's spend buckets (at most 721 rows, whatever the history), decides, and
  writes the request's ledger row (`in_progress`, with its reservation) — or gives the
  estimate back and writes a `rejected` row;
- settlement swaps the reservation for the actual cost: it adds the cost to the current
  hour's bucket, debits the overage part from the hep-token balance and finalises the row.
A killed worker leaves an `in_progress` row whose `reserved_micro_usd` the sweeper releases
(app.services.ledger_sweeper; the row carries the worker's id).
Settled spend plus reservations is what admission compares with the cap, so parallel
requests never lose or double-count spend and the overshoot is bounded by what was in flight.
"""
from dataclasses import dataclass, replace
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import SpendBucket
from app.models.base import utcnow
from app.models.ledger import OUTCOME_IN_PROGRESS
from app.services import quota_errors
from app.services.hot_sql import Sql, read_connection, write_connection
from app.services.pricing import hep_balance_value_micro_usd, hep_tokens_micro
from app.services.quota_errors import NO_HEP_TOKENS, OVERAGE_CAP, QUOTA_EXHAUSTED
from app.services.spend import hour_floor, window_start
from app.services.workers import current_worker_id

# Ledger outcomes (README "Outcome vocabulary"); in_progress is the admission-time value.
OUTCOME_REJECTED = "rejected"
OK, UPSTREAM_ERROR = "ok", "upstream_error"
UPSTREAM_UNREACHABLE, UPSTREAM_TIMEOUT, UPSTREAM_DISCONNECTED = \
    "upstream_unreachable", "upstream_timeout", "upstream_disconnected"
CLIENT_DISCONNECTED, INTERNAL_ERROR = "client_disconnected", "internal_error"
# error_code of a row billed from an estimate because the upstream's usage never came.
USAGE_ESTIMATED = "usage_estimated"

_BUCKETS = SpendBucket.__table__
_USER_FIELDS = "cap_micro_usd, overage_enabled, overage_cap_micro_usd, hep_token_balance_micro, reserved_micro_usd"
_LOCK_USER = Sql(f"SELECT {_USER_FIELDS} FROM users WHERE id = :user_id FOR UPDATE")
_READ_USER = Sql(f"SELECT {_USER_FIELDS} FROM users WHERE id = :user_id")
# Reserving first takes the row lock and saves a statement; a refusal gives the estimate back.
_RESERVE = Sql(f"UPDATE users SET reserved_micro_usd = reserved_micro_usd + :estimate WHERE id = :user_id "
               f"RETURNING {_USER_FIELDS}")
_UNRESERVE = Sql("UPDATE users SET reserved_micro_usd = reserved_micro_usd - :estimate WHERE id = :user_id")
_WINDOW = Sql("SELECT COALESCE(SUM(spend_micro_usd), 0), COALESCE(SUM(overage_micro_usd), 0) FROM spend_buckets "
              "WHERE user_id = :user_id AND bucket_start >= :since")
_INSERT_ROW = Sql(
    "INSERT INTO llm_requests (request_id, user_id, llm_key_id, model_id, model_name, stream, status_code, outcome, "
    "error_code, prompt_tokens, cached_tokens, completion_tokens, cost_micro_usd, overage_micro_usd, "
    "hep_tokens_debited_micro, reserved_micro_usd, started_at, finished_at, duration_ms, worker_id) VALUES "
    "(:request_id, :user_id, :key_id, :model_id, :model_name, :stream, :status_code, :outcome, :error_code, 0, 0, 0, "
    "0, 0, 0, :reserved, :started_at, :finished_at, :duration_ms, :worker_id) RETURNING id")
_FINALISE = ("UPDATE llm_requests SET outcome = :outcome, status_code = :status_code, error_code = :error_code, "
             "prompt_tokens = :prompt_tokens, cached_tokens = :cached_tokens, completion_tokens = :completion_tokens, "
             "cost_micro_usd = :cost, overage_micro_usd = :overage, hep_tokens_debited_micro = :debit, "
             "upstream_request_id = :upstream_request_id, ttfb_ms = :ttfb_ms, duration_ms = :duration_ms, "
             "finished_at = :finished_at WHERE id = :ledger_id")
# Only a row still in progress holds its reservation (a sweeper may have released it already).
_FINALISE_HELD = Sql(_FINALISE + f" AND outcome = '{OUTCOME_IN_PROGRESS}'")
_FINALISE_ANY = Sql(_FINALISE)
_SETTLE_USER = Sql("UPDATE users SET reserved_micro_usd = :reserved, hep_token_balance_micro = :balance "
                   "WHERE id = :user_id")
_ADD_TO_BUCKET = Sql(
    "INSERT INTO spend_buckets (user_id, bucket_start, spend_micro_usd, overage_micro_usd, request_count) "
    "VALUES (:user_id, :bucket_start, :cost, :overage, 1) ON CONFLICT (user_id, bucket_start) DO UPDATE SET "
    "spend_micro_usd = spend_buckets.spend_micro_usd + excluded.spend_micro_usd, "
    "overage_micro_usd = spend_buckets.overage_micro_usd + excluded.overage_micro_usd, "
    "request_count = spend_buckets.request_count + 1")


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


@dataclass(frozen=True)
class Ticket:
    """A request asking to be admitted: who, which key and model, and the estimate to reserve."""

    request_id: str
    user_id: int
    key_id: int
    model_id: int
    model_name: str
    stream: bool
    estimate: int


@dataclass(frozen=True)
class Admission:
    """An admitted request: its ledger row, what it reserved, the standing just after."""

    ledger_id: int
    reserved: int
    standing: Standing


@dataclass(frozen=True)
class Result:
    """How a request ended, as the relay saw it; `cost`/`usage` None means nothing is billed."""

    outcome: str
    status_code: int | None = None
    error_code: str | None = None
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost: int = 0
    upstream_request_id: str | None = None
    ttfb_ms: int | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class Settlement:
    """What settlement booked, and the standing just after."""

    cost: int
    overage: int
    hep_debited_micro: int
    standing: Standing


def _rate():
    return current_app.config["HEP_TOKENS_PER_USD"]


def _standing(user_row, sums):
    cap, overage_enabled, overage_cap, balance, reserved = user_row
    return Standing(cap, bool(overage_enabled), overage_cap, balance, reserved, int(sums[0]), int(sums[1]), _rate())


def _locked_standing(sql, user_id, now):
    # Lock first, then sum: on PostgreSQL a statement's snapshot predates any lock wait, so the
    # buckets are read by a second statement that sees every settlement committed before the lock.
    user_row = sql.one(_LOCK_USER, user_id=user_id)
    return _standing(user_row, sql.one(_WINDOW, user_id=user_id, since=window_start(now)))


def current_standing(user_id, now=None):
    """A user's standing read without locks (for the remaining-allowance header)."""
    now = now or utcnow()
    with read_connection() as sql:
        return _standing(sql.one(_READ_USER, user_id=user_id),
                         sql.one(_WINDOW, user_id=user_id, since=window_start(now)))


def admit_request(ticket, now=None):
    """Admit a request or refuse it (QuotaExceeded); either way its ledger row is written."""
    now = now or utcnow()
    worker_id = current_worker_id()  # registering (once per process) writes, so not inside the lock below
    with write_connection() as sql:
        user_row = sql.one(_RESERVE, estimate=ticket.estimate, user_id=ticket.user_id)
        admitted = _standing(user_row, sql.one(_WINDOW, user_id=ticket.user_id, since=window_start(now)))
        standing = replace(admitted, reserved=admitted.reserved - ticket.estimate)
        reason = standing.refusal(ticket.estimate)
        row = dict(request_id=ticket.request_id, user_id=ticket.user_id, key_id=ticket.key_id,
                   model_id=ticket.model_id, model_name=ticket.model_name, stream=ticket.stream, started_at=now,
                   worker_id=worker_id)
        if reason is None:
            ledger_id = sql.one(_INSERT_ROW, **row, status_code=None, outcome=OUTCOME_IN_PROGRESS, error_code=None,
                                reserved=ticket.estimate, finished_at=None, duration_ms=None)[0]
        else:
            sql.run(_UNRESERVE, estimate=ticket.estimate, user_id=ticket.user_id)
            sql.one(_INSERT_ROW, **row, status_code=429, outcome=OUTCOME_REJECTED, error_code=reason, reserved=0,
                    finished_at=now, duration_ms=0)
    if reason is not None:
        raise quota_errors.quota_exceeded(reason, standing, ticket.estimate, _window_buckets(ticket.user_id, now),
                                          now)
    return Admission(ledger_id=ledger_id, reserved=ticket.estimate, standing=admitted)


def _window_buckets(user_id, now):
    with db.engine.connect() as connection:
        return connection.execute(
            select(_BUCKETS.c.bucket_start, _BUCKETS.c.spend_micro_usd, _BUCKETS.c.overage_micro_usd)
            .where(_BUCKETS.c.user_id == user_id, _BUCKETS.c.bucket_start >= window_start(now))
            .order_by(_BUCKETS.c.bucket_start)).all()


def settle_request(user_id, admission, result, now=None):
    """Replace an admitted request's reservation with its actual cost, atomically."""
    now = now or utcnow()
    cost = max(result.cost or 0, 0)
    with write_connection() as sql:
        standing = _locked_standing(sql, user_id, now)
        overage = max(0, min(cost, standing.spend + cost - standing.cap)) if standing.overage_enabled else 0
        debit = min(standing.balance_micro, hep_tokens_micro(overage, standing.tokens_per_usd))
        values = dict(outcome=result.outcome, status_code=result.status_code, error_code=result.error_code,
                      prompt_tokens=result.prompt_tokens, cached_tokens=result.cached_tokens,
                      completion_tokens=result.completion_tokens, cost=cost, overage=overage, debit=debit,
                      upstream_request_id=result.upstream_request_id, ttfb_ms=result.ttfb_ms,
                      duration_ms=result.duration_ms, finished_at=now, ledger_id=admission.ledger_id)
        held = sql.run(_FINALISE_HELD, **values)
        if not held:
            sql.run(_FINALISE_ANY, **values)
        reserved = max(0, standing.reserved - (admission.reserved if held else 0))
        sql.run(_SETTLE_USER, reserved=reserved, balance=standing.balance_micro - debit, user_id=user_id)
        sql.run(_ADD_TO_BUCKET, user_id=user_id, bucket_start=hour_floor(now), cost=cost, overage=overage)
    after = replace(standing, reserved=reserved, spend=standing.spend + cost, overage=standing.overage + overage,
                    balance_micro=standing.balance_micro - debit)
    return Settlement(cost=cost, overage=overage, hep_debited_micro=debit, standing=after)
