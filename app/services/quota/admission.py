"""Admission and settlement of OpenAI-side requests against the rolling 30-day cap (SPEC §4).

Two phases, each one short write transaction holding the user's row lock:
- admission reserves an estimate in `users.reserved_micro_usd` (which takes the row lock),
  reads the window's spend buckets (at most 721 rows, whatever the history), decides, and
  writes the request's ledger row (`in_progress`, with its reservation) — or gives the
  estimate back and writes a `rejected` row;
- settlement swaps the reservation for the actual cost: it adds the cost to the current
  hour's bucket, debits the overage part from the hep-token balance and finalises the row.
A killed worker leaves an `in_progress` row whose `reserved_micro_usd` the sweeper releases
(app.services.upkeep.sweeper; the row carries the worker's id).
Settled spend plus reservations is what admission compares with the cap, so parallel
requests never lose or double-count spend and the overshoot is bounded by what was in flight.
"""
from dataclasses import dataclass, replace

from sqlalchemy import select

from app.extensions import db
from app.models import SpendBucket
from app.models.base import utcnow
from app.models.ledger import OUTCOME_IN_PROGRESS, OUTCOME_REJECTED
from app.services.db.raw_sql import Sql
from app.services.db.transactions import write_connection
from app.services.quota import refusal
from app.services.quota.standing import USER_FIELDS, WINDOW_SUMS, Standing, standing_from
from app.services.quota.window import window_start
from app.services.upkeep.worker import current_worker_id

_BUCKETS = SpendBucket.__table__

# Reserving first takes the row lock and saves a statement; a refusal gives the estimate back.
_RESERVE = Sql(f"UPDATE users SET reserved_micro_usd = reserved_micro_usd + :estimate WHERE id = :user_id "
               f"RETURNING {USER_FIELDS}")
_UNRESERVE = Sql("UPDATE users SET reserved_micro_usd = reserved_micro_usd - :estimate WHERE id = :user_id")
_INSERT_ROW = Sql(
    "INSERT INTO llm_requests (request_id, user_id, llm_key_id, model_id, model_name, stream, status_code, outcome, "
    "error_code, prompt_tokens, cached_tokens, completion_tokens, cost_micro_usd, overage_micro_usd, "
    "hep_tokens_debited_micro, reserved_micro_usd, started_at, finished_at, duration_ms, worker_id) VALUES "
    "(:request_id, :user_id, :key_id, :model_id, :model_name, :stream, :status_code, :outcome, :error_code, 0, 0, 0, "
    "0, 0, 0, :reserved, :started_at, :finished_at, :duration_ms, :worker_id) RETURNING id")


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


def admit_request(ticket, now=None):
    """Admit a request or refuse it (QuotaExceeded); either way its ledger row is written."""
    now = now or utcnow()
    worker_id = current_worker_id()  # registering (once per process) writes, so not inside the lock below
    with write_connection() as sql:
        user_row = sql.one(_RESERVE, estimate=ticket.estimate, user_id=ticket.user_id)
        admitted = standing_from(user_row, sql.one(WINDOW_SUMS, user_id=ticket.user_id, since=window_start(now)))
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
        raise refusal.quota_exceeded(reason, standing, ticket.estimate, _window_buckets(ticket.user_id, now),
                                          now)
    return Admission(ledger_id=ledger_id, reserved=ticket.estimate, standing=admitted)


def _window_buckets(user_id, now):
    with db.engine.connect() as connection:
        return connection.execute(
            select(_BUCKETS.c.bucket_start, _BUCKETS.c.spend_micro_usd, _BUCKETS.c.overage_micro_usd)
            .where(_BUCKETS.c.user_id == user_id, _BUCKETS.c.bucket_start >= window_start(now))
            .order_by(_BUCKETS.c.bucket_start)).all()

