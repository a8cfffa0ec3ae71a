"""An activation through the usage API reaches the proxy on every worker within two seconds (issue 5)."""
import time

import requests

from tests.fakes.anthropic import FakeAnthropic

MESSAGE = {"model": "claude-sonnet-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}


def keys_used(server, upstream, token, count):
    """Send `count` requests on fresh connections (spread over the workers); the pooled keys seen."""
    before = len(upstream.requests_to("/v1/messages"))
    for _ in range(count):
        response = requests.post(f"{server.url}/anthropic/{token}/v1/messages", json=MESSAGE,
                                 headers={"anthropic-version": "2023-06-01", "Connection": "close"}, timeout=10)
        assert response.status_code == 200, response.text
    return [{k.lower(): v for k, v in r.headers.items()}["x-api-key"]
            for r in upstream.requests_to("/v1/messages")[before:]]


def test_activation_through_the_usage_api_reaches_every_worker_within_two_seconds(gunicorn_server, factories):
    upstream = FakeAnthropic().start()
    try:
        user = factories.user()
        machine = factories.machine(user)
        usage_token = factories.usage_token(user)
        factories.pooled_account(label="first", api_key="sk-ant-api03-first")
        second = factories.pooled_account(label="second", api_key="sk-ant-api03-second")
        server = gunicorn_server(ANTHROPIC_BASE_URL=upstream.url, WEB_CONCURRENCY=2)
        assert set(keys_used(server, upstream, machine.token, 8)) == {"sk-ant-api03-first"}

        switched = requests.post(f"{server.url}/usage/accounts/{second.id}/activate",
                                 headers={"Authorization": f"Bearer {usage_token}"}, timeout=10)
        assert switched.status_code == 200 and switched.json()["account"]["active"] is True
        switched_at = time.monotonic()

        # From two seconds after the switch, every request on every worker uses the new account.
        time.sleep(max(0.0, 2.0 - (time.monotonic() - switched_at)))
        assert set(keys_used(server, upstream, machine.token, 12)) == {"sk-ant-api03-second"}
    finally:
        upstream.stop()
