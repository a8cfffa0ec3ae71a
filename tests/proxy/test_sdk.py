"""The official anthropic SDK against a running instance: werkzeug in-process, and gunicorn + gevent."""
import re

import anthropic
import pytest
import requests

from tests.fakes.anthropic import MODEL, SseReply, message_events, usage_block
from tests.proxy.helpers import finished_rows, proxy_url

MESSAGES = [{"role": "user", "content": "Say hello"}]


def sdk_client(base_url, token, **kwargs):
    # Claude Code's pooled setup: the proxy token in the URL and again as the credential.
    return anthropic.Anthropic(base_url=f"{base_url}/anthropic/{token}", api_key=token, max_retries=0,
                               timeout=10, **kwargs)


def check_create_stream_and_count(client, fake):
    message = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    assert message.content[0].text == "Hello!"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 30)

    with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello world!"
    assert final.usage.output_tokens == 30 and final.stop_reason == "end_turn"

    assert client.messages.count_tokens(model=MODEL, messages=MESSAGES).input_tokens == 42

    sent = fake.requests_to("/v1/messages")
    assert sent[0].headers["x-api-key"] == "sk-ant-api03-pooled-key"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", sent[0].headers["anthropic-version"])
    assert sent[0].headers["x-stainless-lang"] == "python"
    assert sent[1].headers["x-stainless-helper-method"] == "stream"
    rows = finished_rows(3)
    assert [(r.path, r.stream, r.outcome, r.input_tokens, r.output_tokens) for r in rows] == [
        ("/v1/messages", False, "ok", 12, 30), ("/v1/messages", True, "ok", 12, 30),
        ("/v1/messages/count_tokens", False, "ok", 0, 0)]


def check_bad_token(base_url):
    with pytest.raises(anthropic.AuthenticationError) as raised:
        sdk_client(base_url, "cct_not-a-real-token").messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
    assert raised.value.status_code == 401
    assert raised.value.body["error"]["type"] == "authentication_error"


def test_the_sdk_works_against_the_app(live_server, fake, machine):
    check_create_stream_and_count(sdk_client(live_server.url, machine.token), fake)
    check_bad_token(live_server.url)


def test_a_mid_stream_error_reaches_the_sdk_as_an_api_error(live_server, fake, machine):
    fake.route("POST", "/v1/messages", SseReply(message_events(error="overloaded_error")))
    client = sdk_client(live_server.url, machine.token)
    with pytest.raises(anthropic.APIStatusError) as raised:
        with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
            "".join(stream.text_stream)
    assert raised.value.type == "overloaded_error"


def test_the_sdk_works_under_gunicorn_with_gevent(gunicorn_server, fake, machine):
    server = gunicorn_server(ANTHROPIC_BASE_URL=fake.url)
    check_create_stream_and_count(sdk_client(server.url, machine.token), fake)
    check_bad_token(server.url)

    # A stream left mid-way: gunicorn closes the body, the upstream connection goes, the row stays.
    events = message_events(parts=[f"w{i} " for i in range(400)], usage=usage_block(input_tokens=55))
    fake.route("POST", "/v1/messages", SseReply(events, interval=0.02))
    response = requests.post(proxy_url(server.url, machine.token), stream=True, timeout=5,
                             json={"model": MODEL, "max_tokens": 64, "messages": MESSAGES, "stream": True})
    assert response.headers["X-Accel-Buffering"] == "no"
    assert response.headers["Transfer-Encoding"] == "chunked"
    chunks = response.iter_content(chunk_size=None)
    received = b""
    while b"content_block_delta" not in received:
        received += next(chunks)
    response.close()
    assert fake.streams[-1].wait(timeout=5) == "client_closed"
    assert fake.streams[-1].sent < len(events) / 2
    row = finished_rows(4)[-1]
    assert (row.outcome, row.input_tokens, row.output_tokens) == ("client_disconnected", 55, 1)
    server.stop()
    assert machine.token not in server.log_text()
