"""Errors the proxy produces itself, and upstream failures before and during a response."""
import gzip
import json

import requests

from tests.fakes.anthropic import MODEL, JsonReply, SseReply, message_body, message_events
from tests.proxy.helpers import finished_rows, ledger_rows, proxy_url
from tests.servers import free_port

MESSAGE = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
STREAM = dict(MESSAGE, stream=True)


def assert_anthropic_error(response, status, error_type):
    assert response.status_code == status
    body = response.json() if hasattr(response, "json") and callable(response.json) else response.get_json()
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body["error"]["message"]


def test_an_unreachable_upstream_is_a_502(app, client, machine):
    app.config["ANTHROPIC_BASE_URL"] = f"http://127.0.0.1:{free_port()}"
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert "could not be reached" in assert_anthropic_error(response, 502, "api_error")
    [row] = ledger_rows()
    assert (row.outcome, row.status_code, row.error_type, row.model) == ("unreachable", 502, "upstream_unreachable",
                                                                         MODEL)
    assert row.finished_at is not None


def test_an_upstream_that_does_not_answer_in_time_is_a_504(app, client, fake, machine):
    app.config["UPSTREAM_READ_TIMEOUT"] = 0.3
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(), delay=3))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert "did not answer within 0.3 seconds" in assert_anthropic_error(response, 504, "api_error")
    [row] = ledger_rows()
    assert (row.outcome, row.status_code, row.error_type) == ("timeout", 504, "upstream_timeout")


def test_a_body_over_the_limit_is_a_413_before_it_is_read(app, client, fake, machine):
    app.config["MAX_REQUEST_BYTES"] = 1000
    response = client.post(f"/anthropic/{machine.token}/v1/messages", data=b"x" * 1001,
                           headers={"Content-Type": "application/json"})
    assert "1000 bytes" in assert_anthropic_error(response, 413, "request_too_large")
    assert client.post(f"/anthropic/{machine.token}/v1/messages",
                       json=dict(MESSAGE, pad="y" * 500)).get_json()["type"] == "message"
    assert len(fake.requests) == 1
    rows = ledger_rows()
    assert [(r.outcome, r.status_code, r.error_type) for r in rows] == [
        ("rejected", 413, "request_too_large"), ("ok", 200, None)]


def test_a_chunked_body_over_the_limit_is_cut_off_with_a_413(app, live_server, fake, machine):
    app.config["MAX_REQUEST_BYTES"] = 100_000

    def body():
        for _ in range(200):
            yield b"x" * 1000

    response = requests.post(proxy_url(live_server.url, machine.token), data=body(), timeout=5,
                             headers={"Content-Type": "application/json"})
    assert_anthropic_error(response, 413, "request_too_large")
    assert fake.requests == []


def test_malformed_json_on_messages_is_a_400(client, fake, machine):
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        response = client.post(f"/anthropic/{machine.token}{path}", data=b'{"model": "claude',
                               headers={"Content-Type": "application/json"})
        assert "not valid JSON" in assert_anthropic_error(response, 400, "invalid_request_error")
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=["not", "an", "object"])
    assert "JSON object" in assert_anthropic_error(response, 400, "invalid_request_error")
    assert fake.requests == []
    assert [(r.outcome, r.status_code) for r in ledger_rows()] == [("rejected", 400)] * 3


def test_a_compressed_body_is_forwarded_as_it_came(client, fake, machine):
    packed = gzip.compress(json.dumps(MESSAGE).encode())
    fake.route("POST", "/v1/messages", JsonReply(200, message_body()))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", data=packed,
                           headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 200
    [sent] = fake.requests
    assert sent.body == packed and sent.headers["content-encoding"] == "gzip"


def test_other_paths_forward_their_bodies_without_judging_them(client, fake, machine):
    fake.route("POST", "/v1/messages/batches", JsonReply(400, b'{"type":"error","error":{"type":'
                                                         b'"invalid_request_error","message":"bad"}}'))
    response = client.post(f"/anthropic/{machine.token}/v1/messages/batches", data=b"not json at all")
    assert response.status_code == 400
    assert fake.requests[0].body == b"not json at all"
    [row] = ledger_rows()
    assert (row.outcome, row.error_type) == ("upstream_error", "invalid_request_error")


def test_no_active_account_is_a_503_that_says_so(client, fake, factories):
    user = factories.user()
    machine = factories.machine(user)
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert "No pooled Claude account is active" in assert_anthropic_error(response, 503, "api_error")
    assert fake.requests == []
    [row] = ledger_rows()
    assert (row.outcome, row.status_code, row.error_type, row.pooled_account_id) == (
        "rejected", 503, "no_active_account", None)


def stream_events(live_server, machine):
    with requests.post(proxy_url(live_server.url, machine.token), json=STREAM, stream=True, timeout=5) as response:
        return response.status_code, b"".join(response.iter_content(chunk_size=None))


def test_a_stream_that_goes_silent_ends_with_an_error_event(app, live_server, fake, machine):
    app.config["UPSTREAM_READ_TIMEOUT"] = 0.3
    events = message_events()
    fake.route("POST", "/v1/messages", SseReply(events, stall_after=4, stall_seconds=5))
    status, body = stream_events(live_server, machine)
    assert status == 200
    assert body.startswith(b"".join(events[:4]))
    tail = body[len(b"".join(events[:4])):]
    assert tail.startswith(b"event: error\ndata: ") and tail.endswith(b"\n\n")
    assert b'"type":"api_error"' in tail
    assert fake.streams[0].wait() == "client_closed"  # the proxy hung up on the silent upstream
    [row] = finished_rows()
    assert (row.outcome, row.status_code, row.error_type, row.input_tokens, row.output_tokens) == (
        "timeout", 200, "api_error", 12, 1)


def test_a_stream_upstream_drops_ends_with_an_error_event(live_server, fake, machine):
    events = message_events()
    fake.route("POST", "/v1/messages", SseReply(events, drop_after=5))
    status, body = stream_events(live_server, machine)
    assert body.startswith(b"".join(events[:5])) and b"event: error" in body[len(b"".join(events[:5])):]
    [row] = finished_rows()
    assert (row.outcome, row.error_type) == ("stream_error", "api_error")


def test_a_mid_stream_error_event_is_relayed_and_recorded(live_server, fake, machine):
    events = message_events(error="overloaded_error")
    fake.route("POST", "/v1/messages", SseReply(events))
    status, body = stream_events(live_server, machine)
    assert (status, body) == (200, b"".join(events))
    [row] = finished_rows()
    assert (row.outcome, row.error_type, row.input_tokens, row.output_tokens) == (
        "stream_error", "overloaded_error", 12, 1)
