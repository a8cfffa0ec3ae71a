"""Fixtures for the OpenAI-compatible API: a fake upstream, a model served by it, a user and a key."""
import pytest

from app.extensions import db
from app.models import LlmRequest, SpendBucket, User
from tests.fakes.openai import FakeOpenAI

UPSTREAM_MODEL = "Qwen/Qwen3-8B"


@pytest.fixture
def upstream():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def model(factories, upstream):
    # $0.10 input, $0.025 cached input, $0.40 output per million tokens.
    return factories.model("qwen3-8b", upstream_url=upstream.url, upstream_model=UPSTREAM_MODEL,
                           upstream_api_key="upstream-secret", input_usd="0.1", cached_input_usd="0.025",
                           output_usd="0.4", user_allowed=True)


@pytest.fixture
def user(factories):
    return factories.user(cap_usd="20")


@pytest.fixture
def key(factories, user, model):
    return factories.llm_key(user, [model])


def auth(key_or_token):
    token = getattr(key_or_token, "token", key_or_token)
    return {"Authorization": f"Bearer {token}"}


def post_chat(client, key, body=None, **fields):
    """POST /v1/chat/completions with a minimal valid body (overridable)."""
    payload = {"model": "qwen3-8b", "messages": [{"role": "user", "content": "Hi"}], **fields}
    return client.post("/v1/chat/completions", json=body if body is not None else payload, headers=auth(key))


def ledger_rows():
    db.session.rollback()
    return list(db.session.scalars(db.select(LlmRequest).order_by(LlmRequest.id)))


def buckets(user_id):
    db.session.rollback()
    return list(db.session.scalars(db.select(SpendBucket).where(SpendBucket.user_id == user_id)
                                   .order_by(SpendBucket.bucket_start)))


def fresh_user(user_id):
    db.session.rollback()
    return db.session.get(User, user_id, populate_existing=True)
