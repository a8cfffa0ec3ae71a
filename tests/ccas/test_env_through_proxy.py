"""`ccas env` is all the anthropic SDK needs to reach Claude through the proxy (issue 7)."""
import json

import anthropic
import pytest

from tests.fakes.anthropic import FakeAnthropic


@pytest.fixture
def upstream():
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def served(gunicorn_server, upstream):
    """The app as the Procfile serves it, forwarding to the fake Anthropic API."""
    return gunicorn_server(ANTHROPIC_BASE_URL=upstream.url)


def sdk_from_env(env):
    """An anthropic client configured only from `ccas env --json`, as a shell export would."""
    return anthropic.Anthropic(base_url=env["ANTHROPIC_BASE_URL"], auth_token=env.get("ANTHROPIC_AUTH_TOKEN"),
                               api_key=None, max_retries=0)


def test_a_pooled_machine_env_drives_the_sdk_through_the_proxy(ccas, ada, factories, served, upstream):
    factories.pooled_account(label="team", api_key="sk-ant-api03-pooled")
    ccas.ok("login", "--url", served.url, "--key", ada.account_key)
    ccas.ok("machine", "create", "--name", "laptop")
    env = json.loads(ccas.ok("env", "--json").stdout)

    client = sdk_from_env(env)
    message = client.messages.create(model="claude-sonnet-5", max_tokens=64,
                                     messages=[{"role": "user", "content": "Hi"}])
    with client.messages.stream(model="claude-sonnet-5", max_tokens=64,
                                messages=[{"role": "user", "content": "Hi"}]) as stream:
        streamed = stream.get_final_text()

    assert message.content[0].text == "Hello!" and streamed == "Hello world!"
    sent = upstream.requests_to("/v1/messages")
    assert len(sent) == 2
    for request in sent:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["x-api-key"] == "sk-ant-api03-pooled"  # the pool's credential, injected
        assert "authorization" not in headers  # our proxy token never goes upstream
        assert env["ANTHROPIC_AUTH_TOKEN"] not in json.dumps(headers)


def test_a_passthrough_machine_env_leaves_the_callers_own_key_in_charge(ccas, ada, served, upstream):
    ccas.ok("login", "--url", served.url, "--key", ada.account_key)
    ccas.ok("machine", "create", "--name", "own-login", "--passthrough")
    env = json.loads(ccas.ok("env", "--json").stdout)
    assert set(env) == {"ANTHROPIC_BASE_URL"}

    client = anthropic.Anthropic(base_url=env["ANTHROPIC_BASE_URL"], api_key="sk-ant-api03-my-own", max_retries=0)
    assert client.messages.count_tokens(model="claude-sonnet-5",
                                        messages=[{"role": "user", "content": "Hi"}]).input_tokens == 42
    [request] = upstream.requests_to("/v1/messages/count_tokens")
    headers = {k.lower(): v for k, v in request.headers.items()}
    # The caller's own credential arrives untouched, in whichever header its SDK put it
    # (anthropic 2.x sends API keys as a bearer; earlier releases used x-api-key).
    sent = {name: headers[name] for name in ("authorization", "x-api-key") if name in headers}
    assert sent in ({"authorization": "Bearer sk-ant-api03-my-own"}, {"x-api-key": "sk-ant-api03-my-own"})
