"""Ledgers: one row per proxied Claude request, one per OpenAI-side request, and spend buckets."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import BigIntPK, utcnow

# The one table of ledger outcomes (README "Outcome vocabulary"). Both ledgers share the
# common ones; each family also has a few of its own, named after what its relay can tell.
OUTCOME_IN_PROGRESS = "in_progress"          # written at admission, replaced when the request ends
OUTCOME_OK = "ok"
OUTCOME_UPSTREAM_ERROR = "upstream_error"    # the upstream answered with an HTTP error
OUTCOME_CLIENT_DISCONNECTED = "client_disconnected"
OUTCOME_REJECTED = "rejected"                # refused before reaching the upstream
OUTCOME_INTERRUPTED = "interrupted"          # left in progress by a dead worker; set by the sweeper
# Claude ledger only.
OUTCOME_STREAM_ERROR = "stream_error"
OUTCOME_TIMEOUT = "timeout"
OUTCOME_UNREACHABLE = "unreachable"
# OpenAI-side ledger only.
OUTCOME_UPSTREAM_UNREACHABLE = "upstream_unreachable"
OUTCOME_UPSTREAM_TIMEOUT = "upstream_timeout"
OUTCOME_UPSTREAM_DISCONNECTED = "upstream_disconnected"
OUTCOME_INTERNAL_ERROR = "internal_error"

_COMMON = (OUTCOME_IN_PROGRESS, OUTCOME_OK, OUTCOME_UPSTREAM_ERROR, OUTCOME_CLIENT_DISCONNECTED, OUTCOME_REJECTED,
           OUTCOME_INTERRUPTED)
CLAUDE_OUTCOMES = _COMMON + (OUTCOME_STREAM_ERROR, OUTCOME_TIMEOUT, OUTCOME_UNREACHABLE)
LLM_OUTCOMES = _COMMON + (OUTCOME_UPSTREAM_UNREACHABLE, OUTCOME_UPSTREAM_TIMEOUT, OUTCOME_UPSTREAM_DISCONNECTED,
                          OUTCOME_INTERNAL_ERROR)
# error_code of an OpenAI-side row billed from an estimate because the upstream's usage never came.
USAGE_ESTIMATED = "usage_estimated"


class ClaudeRequest(db.Model):
    """One proxied Anthropic request; written at admission and finalised when it ends."""

    __tablename__ = "claude_requests"
    __table_args__ = (
        Index("ix_claude_requests_machine_started", "machine_id", "started_at"),
        Index("ix_claude_requests_user_started", "user_id", "started_at"),
        Index("ix_claude_requests_outcome_started", "outcome", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    pooled_account_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("pooled_accounts.id", ondelete="SET NULL"))
    passthrough: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(512))
    model: Mapped[Optional[str]] = mapped_column(String(128))
    stream: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[Optional[int]]
    outcome: Mapped[str] = mapped_column(String(32), default=OUTCOME_IN_PROGRESS)
    error_type: Mapped[Optional[str]] = mapped_column(String(64))
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_creation_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_creation_5m_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_creation_1h_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    upstream_request_id: Mapped[Optional[str]] = mapped_column(String(128))
    ttfb_ms: Mapped[Optional[int]] = mapped_column(Integer)
    duration_ms: Mapped[Optional[int]] = mapped_column(Integer)
    # What the request would have cost at Anthropic's API list prices.
    cost_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    # The worker process that admitted the request (its heartbeat lease name, app.services.workers).
    worker_id: Mapped[Optional[str]] = mapped_column(String(64))


class LlmRequest(db.Model):
    """One OpenAI-side request; written at admission (with its reservation) and settled at the end."""

    __tablename__ = "llm_requests"
    __table_args__ = (
        Index("ix_llm_requests_user_started", "user_id", "started_at"),
        Index("ix_llm_requests_key_started", "llm_key_id", "started_at"),
        Index("ix_llm_requests_outcome_started", "outcome", "started_at"),
        CheckConstraint("cost_micro_usd >= 0", name="cost_non_negative"),
        CheckConstraint("overage_micro_usd >= 0", name="overage_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    llm_key_id: Mapped[Optional[int]] = mapped_column(ForeignKey("llm_keys.id", ondelete="SET NULL"))
    model_id: Mapped[Optional[int]] = mapped_column(ForeignKey("llm_models.id", ondelete="SET NULL"))
    model_name: Mapped[str] = mapped_column(String(128))
    stream: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[Optional[int]]
    outcome: Mapped[str] = mapped_column(String(32), default=OUTCOME_IN_PROGRESS)
    error_code: Mapped[Optional[str]] = mapped_column(String(64))
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    overage_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    hep_tokens_debited_micro: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    upstream_request_id: Mapped[Optional[str]] = mapped_column(String(128))
    ttfb_ms: Mapped[Optional[int]] = mapped_column(Integer)
    duration_ms: Mapped[Optional[int]] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    # The worker process that admitted the request (its heartbeat lease name, app.services.workers).
    worker_id: Mapped[Optional[str]] = mapped_column(String(64))


class SpendBucket(db.Model):
    """Settled OpenAI-side spend per user per hour; the 30-day window sums at most 721 rows."""

    __tablename__ = "spend_buckets"
    __table_args__ = (
        CheckConstraint("spend_micro_usd >= 0", name="spend_non_negative"),
        CheckConstraint("overage_micro_usd >= 0", name="overage_non_negative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    spend_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    overage_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
