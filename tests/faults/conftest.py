"""Fixtures for the fault tests: both fake upstreams, a pooled machine and an LLM key, and the app
under gunicorn (as the Procfile serves it) pointed at them."""
from functools import partial

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ClaudeRequest, LlmRequest, User
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI
from tests.proxy import helpers as proxy_helpers

MESSAGE = {"model": "claude-sonnet-5", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}
CHAT = {"model": "qwen3-8b", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def anthropic():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def openai_upstream():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def user(factories):
    return factories.user(cap_usd="20")


@pytest.fixture
def machine(factories, user):
    found = factories.machine(user)
    factories.pooled_account(label="team-key", api_key="sk-ant-api03-pooled-key")
    return found


@pytest.fixture
def key(factories, user, openai_upstream):
    model = factories.model("qwen3-8b", upstream_url=openai_upstream.url, upstream_model="Qwen/Qwen3-8B",
                            input_usd="0.1", output_usd="0.4", user_allowed=True)
    return factories.llm_key(user, [model])


@pytest.fixture
def serve(gunicorn_server, anthropic):
    """Start the app under gunicorn (one gevent worker) against the fakes, with extra settings."""
    def start(**env):
        return gunicorn_server(ANTHROPIC_BASE_URL=anthropic.url, **env)
    return start


def proxy_url(server, machine, path="/v1/messages"):
    return f"{server.url}/anthropic/{machine.token}{path}"


def chat_url(server):
    return server.url + "/v1/chat/completions"


def bearer(key):
    return {"Authorization": f"Bearer {key.token}"}


def rows(model):
    """Every ledger row of `model`, oldest first, read in a fresh transaction."""
    db.session.rollback()
    return list(db.session.scalars(select(model).order_by(model.id)))


def claude_rows():
    return rows(ClaudeRequest)


def llm_rows():
    return rows(LlmRequest)


def reserved(user):
    db.session.rollback()
    return db.session.get(User, user.id, populate_existing=True).reserved_micro_usd


# The proxy tests' poller, with the longer defaults a worker process under fault needs.
wait_for = partial(proxy_helpers.wait_for, timeout=10.0, interval=0.05)


def settled(model, count=1, timeout=10.0):
    """Wait until `count` rows of `model` exist and none is in progress any more."""
    def ready():
        found = rows(model)
        return found if len(found) >= count and all(r.outcome != "in_progress" for r in found) else None
    return wait_for(ready, timeout=timeout, what=f"{count} finished {model.__tablename__} rows")
