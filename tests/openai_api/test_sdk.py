"""The official openai SDK against a running instance: models, completions, streams, and a quota
refusal raised as RateLimitError after exactly one HTTP attempt."""
import openai
import pytest

from app.extensions import db
from app.models import SpendBucket
from app.models.base import utcnow
from app.services.quota.window import hour_floor
from tests.openai_api.conftest import ledger_rows


@pytest.fixture
def sdk(live_server, key):
    attempts = []
    http_client = openai.DefaultHttpxClient(event_hooks={"request": [attempts.append]})
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=key.token, http_client=http_client)
    client.attempts = attempts
    yield client
    client.close()


def test_the_sdk_lists_models_and_completes(sdk, upstream):
    assert [m.id for m in sdk.models.list()] == ["qwen3-8b"]
    completion = sdk.chat.completions.create(model="qwen3-8b", messages=[{"role": "user", "content": "Hi"}],
                                             extra_body={"top_k": 20})
    assert completion.model == "qwen3-8b"
    assert completion.choices[0].message.content == "Hello there!"
    assert completion.usage.completion_tokens == 7
    assert upstream.last.json()["top_k"] == 20


def test_the_sdk_streams_with_and_without_usage(sdk, upstream):
    chunks = list(sdk.chat.completions.create(model="qwen3-8b", messages=[{"role": "user", "content": "Hi"}],
                                              stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello!"
    assert all(c.model == "qwen3-8b" and c.usage is None for c in chunks)
    with_usage = list(sdk.chat.completions.create(
        model="qwen3-8b", messages=[{"role": "user", "content": "Hi"}], stream=True,
        stream_options={"include_usage": True}))
    assert with_usage[-1].choices == [] and with_usage[-1].usage.total_tokens == 18
    assert [row.outcome for row in ledger_rows()] == ["ok", "ok"]


def test_the_sdk_raises_mid_stream_errors(sdk, upstream):
    from tests.fakes import openai as fake
    upstream.reply = fake.stream(error_after=2)
    with pytest.raises(openai.APIError, match="engine died"):
        list(sdk.chat.completions.create(model="qwen3-8b", messages=[{"role": "user", "content": "Hi"}],
                                         stream=True))


def test_a_quota_refusal_is_a_rate_limit_error_after_one_attempt(sdk, user, upstream):
    db.session.add(SpendBucket(user_id=user.id, bucket_start=hour_floor(utcnow()), spend_micro_usd=20_000_000,
                               overage_micro_usd=0, request_count=1))
    db.session.commit()
    with pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model="qwen3-8b", messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.code == "quota_exhausted"
    assert caught.value.type == "quota_exceeded"
    assert len(sdk.attempts) == 1  # max_retries is the SDK default (2): x-should-retry: false stopped it
    assert upstream.requests == []


def test_a_bad_key_is_an_authentication_error(live_server, key):
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key="sk-hyd-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.models.list()
    assert caught.value.code == "invalid_api_key"
