"""Ledger rows written directly, as the proxy would write them, for usage tests."""
import itertools

from app.extensions import db
from app.models import ClaudeRequest
from app.models.base import utcnow

_seq = itertools.count(1)


def add_claude_request(machine, *, started_at=None, input_tokens=0, output_tokens=0, cache_creation=0,
                       cache_read=0, cost_micro_usd=0, outcome="ok"):
    """One finished ledger row for `machine` (committed)."""
    row = ClaudeRequest(
        request_id=f"req_test_{next(_seq)}_{machine.id}", user_id=machine.user_id, machine_id=machine.id,
        method="POST", path="/v1/messages", model="claude-sonnet-4-5", stream=True, status_code=200,
        outcome=outcome, input_tokens=input_tokens, output_tokens=output_tokens,
        cache_creation_input_tokens=cache_creation, cache_read_input_tokens=cache_read,
        cost_micro_usd=cost_micro_usd, started_at=started_at or utcnow(), finished_at=started_at or utcnow())
    db.session.add(row)
    db.session.commit()
    return row
