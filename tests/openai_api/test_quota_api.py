"""The cap over HTTP: the three 429 reasons in order, the window rolling, hep-token debits, headers."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import SpendBucket
from app.models.base import utcnow
from app.services.quota.window import hour_floor
from tests.openai_api.conftest import fresh_user, ledger_rows, post_chat

DAY = timedelta(days=1)


def settled(user, micro, overage=0, ago=timedelta(hours=1)):
    db.session.add(SpendBucket(user_id=user.id, bucket_start=hour_floor(utcnow() - ago), spend_micro_usd=micro,
                               overage_micro_usd=overage, request_count=1))
    db.session.commit()


@pytest.mark.parametrize("options, spent, overage, reason, limit_text", [
    (dict(cap_usd="0.001", overage=False, overage_cap_usd="0", hep_tokens="0"), 1000, 0, "quota_exhausted",
     "of your $0.001 rolling 30-day spend cap"),
    (dict(cap_usd="0.001", overage=True, overage_cap_usd="0.0005", hep_tokens="0"), 1500, 500, "overage_cap",
     "of your $0.0005 overage cap"),
    (dict(cap_usd="0.001", overage=True, overage_cap_usd="1", hep_tokens="0"), 1000, 0, "no_hep_tokens",
     "hep-token balance of 0 cannot pay"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_each_refusal_is_a_429_in_the_quota_shape(client, factories, model, upstream, options, spent, overage,
                                                  reason, limit_text, stream):
    user = factories.user(**options)
    key = factories.llm_key(user, [model])
    settled(user, spent, overage, ago=2 * DAY)
    response = post_chat(client, key, stream=stream)
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert body == {"error": {"message": body["error"]["message"], "type": "quota_exceeded", "param": None,
                              "code": reason}}
    message = body["error"]["message"]
    assert limit_text in message and "frees up at" in message
    assert response.headers["x-should-retry"] == "false"
    # The spend ages out 30 days after its hour: about 28 days from now.
    assert 27 * 86400 < int(response.headers["retry-after"]) <= 28 * 86400 + 3600
    assert response.headers["x-hep-remaining-usd"] == "0"
    assert response.headers["x-hep-cost-usd"] == "0"
    assert upstream.requests == []
    [row] = ledger_rows()
    assert (row.outcome, row.status_code, row.error_code, row.stream) == ("rejected", 429, reason, stream)


def test_spend_from_more_than_thirty_days_ago_no_longer_counts(client, factories, model, upstream):
    user = factories.user(cap_usd="0.001")
    key = factories.llm_key(user, [model])
    settled(user, 5000, ago=31 * DAY)
    assert post_chat(client, key).status_code == 200
    settled(user, 1000, ago=29 * DAY)
    assert post_chat(client, key).get_json()["error"]["code"] == "quota_exhausted"


def test_overage_past_the_cap_is_paid_in_hep_tokens(client, factories, model, upstream):
    user = factories.user(cap_usd="0.000001", overage=True, overage_cap_usd="1", hep_tokens="1")
    key = factories.llm_key(user, [model])
    settled(user, 1)  # exactly at the cap: every further micro-dollar is overage
    response = post_chat(client, key)
    assert response.status_code == 200
    assert response.headers["x-hep-cost-usd"] == "0.000004"
    # 4 micro-dollars of overage at 100 hep tokens per USD = 0.0004 tokens.
    assert fresh_user(user.id).hep_token_balance_micro == 1_000_000 - 400
    [row] = ledger_rows()
    assert (row.cost_micro_usd, row.overage_micro_usd, row.hep_tokens_debited_micro) == (4, 4, 400)
    # Left: nothing under the cap; overage: the 0.9996 tokens pay for $0.009996.
    assert response.headers["x-hep-remaining-usd"] == "0.009996"
