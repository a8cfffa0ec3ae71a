"""Settlement of OpenAI-side requests: the reservation swapped for the actual cost, exactly once.

settle_request() adds the cost to the current hour's spend bucket, debits the overage part from
the hep-token balance and finalises the ledger row, in one write transaction holding the
user's row lock. Metered is one admitted request as the relay drives it: it times the request
and settles it once, handing a settlement that failed (the database away) to the retry queue
(app.services.upkeep.retry_queue) through settle_later().
"""
import logging
import time
from dataclasses import dataclass, replace
from functools import partial

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import LlmRequest
from app.models.base import utcnow
from app.models.ledger import OUTCOME_IN_PROGRESS, OUTCOME_INTERRUPTED
from app.services.db.raw_sql import Sql
from app.services.db.transactions import write_connection
from app.services.money import format_micro
from app.services.quota.pricing import Usage, cost_micro_usd, estimate_prompt_tokens, hep_tokens_micro
from app.services.quota.refusal import COST_HEADER, REMAINING_HEADER
from app.services.quota.standing import Standing, locked_standing
from app.services.quota.window import hour_floor
from app.services.upkeep.retry_queue import retry_later

logger = logging.getLogger("hepgg.quota")
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


def settle_request(user_id, admission, result, now=None):
    """Replace an admitted request's reservation with its actual cost, atomically."""
    now = now or utcnow()
    cost = max(result.cost or 0, 0)
    with write_connection() as sql:
        standing = locked_standing(sql, user_id, now)
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



def _settle_if_unsettled(user_id, admission, result, now):
    table = LlmRequest.__table__
    with db.engine.connect() as connection:
        outcome = connection.execute(select(table.c.outcome).where(table.c.id == admission.ledger_id)).scalar()
    if outcome in (OUTCOME_IN_PROGRESS, OUTCOME_INTERRUPTED):
        settle_request(user_id, admission, result, now=now)


def settle_later(user_id, admission, result):
    """Retry settling an OpenAI-side request whose settlement failed (inside an app context)."""
    retry_later(f"llm_requests#{admission.ledger_id}",
                partial(_settle_if_unsettled, user_id, admission, result, utcnow()), current_app._get_current_object())



class Metered:
    """One admitted request: times it and settles it exactly once."""

    def __init__(self, ctx, target, chat, admission, started):
        self.user_id = ctx.user_id
        self.prices = target.prices
        self.body_bytes = len(chat.raw)
        self.admission = admission
        self.started = started
        self.ttfb_ms = None
        self.upstream_request_id = None
        self.settlement = None
        self.settled = False

    def first_byte(self):
        """Note the time to the upstream's first byte (once)."""
        if self.ttfb_ms is None:
            self.ttfb_ms = int((time.perf_counter() - self.started) * 1000)

    def estimated_usage(self, completion_tokens):
        """What a request whose usage never came is billed: nothing if nothing was generated, else
        the prompt estimate plus the completion tokens we could count."""
        if completion_tokens <= 0:
            return Usage()
        return Usage(prompt_tokens=estimate_prompt_tokens(self.body_bytes), completion_tokens=completion_tokens)

    def settle(self, outcome, *, status=None, usage=None, error_code=None):
        """Book the request once (later calls are ignored); returns the Settlement or None."""
        if self.settled:
            return self.settlement
        self.settled = True
        usage = usage or Usage()
        result = Result(
            outcome=outcome, status_code=status, error_code=error_code, prompt_tokens=usage.prompt_tokens,
            cached_tokens=usage.cached_tokens, completion_tokens=usage.completion_tokens,
            cost=cost_micro_usd(self.prices, usage), upstream_request_id=self.upstream_request_id,
            ttfb_ms=self.ttfb_ms, duration_ms=int((time.perf_counter() - self.started) * 1000))
        try:
            self.settlement = settle_request(self.user_id, self.admission, result)
        except Exception:
            logger.exception("settling OpenAI-side request %s failed", self.admission.ledger_id)
            settle_later(self.user_id, self.admission, result)
        return self.settlement

    def headers(self):
        """x-hep-cost-usd and x-hep-remaining-usd after settlement."""
        if self.settlement is None:
            return {REMAINING_HEADER: format_micro(self.admission.standing.remaining())}
        return {COST_HEADER: format_micro(self.settlement.cost),
                REMAINING_HEADER: format_micro(self.settlement.standing.remaining())}

