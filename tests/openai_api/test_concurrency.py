"""Dozens of parallel requests at the cap edge through a running instance: no lost or
double-counted spend, and the overshoot bounded by what was in flight."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import LlmRequest, SpendBucket
from tests.fakes import openai as fake
from tests.openai_api.conftest import auth, fresh_user

REQUESTS, THREADS = 60, 30
COST = 50  # 50 completion tokens at $1 per million; the prompt is free


@pytest.mark.parametrize("overage", [False, True])
def test_parallel_requests_at_the_cap_edge(live_server, factories, upstream, overage):
    model = factories.model("edge", upstream_url=upstream.url, input_usd="0", output_usd="1")
    user = factories.user(cap_usd="0.001", overage=overage, overage_cap_usd="0.0005", hep_tokens="10")
    key = factories.llm_key(user, [model])
    upstream.reply = fake.completion(completion_tokens=COST, delay=0.05)

    def call(_):
        response = requests.post(live_server.url + "/v1/chat/completions", headers=auth(key), timeout=30,
                                 json={"model": "edge", "messages": [{"role": "user", "content": "x"}],
                                       "max_tokens": COST})
        return response.status_code, response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(call, range(REQUESTS)))

    served = [body for status, body in results if status == 200]
    refused = [body["error"]["code"] for status, body in results if status == 429]
    assert len(served) + len(refused) == REQUESTS
    # The estimate (the max_tokens budget) equals the actual cost, so admission stops exactly at the
    # first request that would start at or past a limit: the overshoot is under one request's cost.
    cap, overage_cap = 1000, 500
    limit = cap + (overage_cap if overage else 0)
    assert len(served) == -(-limit // COST)
    assert set(refused) == {"overage_cap" if overage else "quota_exhausted"}

    db.session.rollback()
    costs = db.session.execute(select(func.sum(LlmRequest.cost_micro_usd), func.sum(LlmRequest.overage_micro_usd),
                                      func.sum(LlmRequest.hep_tokens_debited_micro))).one()
    bucket_spend, bucket_overage, bucket_count = db.session.execute(
        select(func.sum(SpendBucket.spend_micro_usd), func.sum(SpendBucket.overage_micro_usd),
               func.sum(SpendBucket.request_count)).where(SpendBucket.user_id == user.id)).one()
    total = len(served) * COST
    assert costs[0] == bucket_spend == total
    assert bucket_count == len(served)
    assert total - limit < COST <= THREADS * COST
    expected_overage = max(0, total - cap) if overage else 0
    assert costs[1] == bucket_overage == expected_overage
    after = fresh_user(user.id)
    assert after.reserved_micro_usd == 0
    assert costs[2] == expected_overage * 100 == 10_000_000 - after.hep_token_balance_micro
    outcomes = db.session.execute(select(LlmRequest.outcome, func.count()).group_by(LlmRequest.outcome)).all()
    assert dict(outcomes) == {"ok": len(served), "rejected": len(refused)}
