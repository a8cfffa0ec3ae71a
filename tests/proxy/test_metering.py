"""One ledger row per request: tokens as upstream reported them, cost, outcome, timings."""
import json

import pytest
import requests

from tests.fakes.anthropic import MODEL, JsonReply, SseReply, message_body, message_events, usage_block
from tests.proxy.helpers import finished_rows, ledger_rows, proxy_url

MESSAGE = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
# Prompt caching at work: a little fresh input, big cache reads, writes at both TTLs.
CACHE_HEAVY = usage_block(input_tokens=3, output_tokens=250, cache_creation=5000, cache_1h=2000, cache_read=120000)
# 3*2 + 250*10 + 3000*2*1.25 + 2000*2*2 + 120000*2*0.1 micro-dollars (Sonnet 5: $2 in, $10 out).
CACHE_HEAVY_COST = 6 + 2500 + 7500 + 8000 + 24000


def token_columns(row):
    return {"input_tokens": row.input_tokens, "output_tokens": row.output_tokens,
            "cache_creation_input_tokens": row.cache_creation_input_tokens,
            "cache_creation_5m_tokens": row.cache_creation_5m_tokens,
            "cache_creation_1h_tokens": row.cache_creation_1h_tokens,
            "cache_read_input_tokens": row.cache_read_input_tokens}


def expected_columns(usage):
    return {"input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"],
            "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
            "cache_creation_5m_tokens": usage["cache_creation"]["ephemeral_5m_input_tokens"],
            "cache_creation_1h_tokens": usage["cache_creation"]["ephemeral_1h_input_tokens"],
            "cache_read_input_tokens": usage["cache_read_input_tokens"]}


@pytest.mark.parametrize("usage", [usage_block(input_tokens=12, output_tokens=30), CACHE_HEAVY])
def test_a_non_streamed_message_records_upstream_usage(client, fake, machine, usage):
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(usage=usage)))
    response = client.post(f"/anthropic/{machine.token}/v1/messages?beta=true", json=MESSAGE)
    assert response.status_code == 200
    [row] = ledger_rows()
    assert token_columns(row) == expected_columns(usage)
    assert (row.outcome, row.status_code, row.stream, row.model, row.path, row.method) == (
        "ok", 200, False, MODEL, "/v1/messages", "POST")
    assert (row.machine_id, row.user_id, row.pooled_account_id, row.passthrough) == (
        machine.id, machine.owner.id, machine.account.id, False)
    assert row.request_id == response.headers["X-Request-Id"]
    assert row.upstream_request_id == response.headers["request-id"]
    assert row.ttfb_ms is not None and row.duration_ms >= row.ttfb_ms >= 0
    assert row.started_at <= row.finished_at


@pytest.mark.parametrize("usage", [usage_block(input_tokens=40, output_tokens=7), CACHE_HEAVY])
def test_a_streamed_message_records_the_final_cumulative_usage(client, fake, machine, usage):
    fake.route("POST", "/v1/messages", SseReply(message_events(usage=usage)))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=dict(MESSAGE, stream=True))
    assert response.data == b"".join(message_events(usage=usage))
    [row] = ledger_rows()
    assert token_columns(row) == expected_columns(usage)
    assert (row.outcome, row.stream, row.status_code) == ("ok", True, 200)


def test_cost_is_the_list_price_equivalent(client, fake, machine):
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(usage=CACHE_HEAVY)))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(model="claude-imaginary-9", usage=CACHE_HEAVY)))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=dict(MESSAGE, model="claude-imaginary-9"))
    assert [(r.model, r.cost_micro_usd) for r in ledger_rows()] == [
        (MODEL, CACHE_HEAVY_COST), ("claude-imaginary-9", 0)]


def test_the_model_upstream_reports_wins_over_the_requested_alias(client, fake, machine):
    fake.route("POST", "/v1/messages", SseReply(message_events(model="claude-haiku-4-5-20251001")))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=dict(MESSAGE, model="claude-haiku-4-5", stream=True))
    [row] = ledger_rows()
    assert row.model == "claude-haiku-4-5-20251001"
    assert row.cost_micro_usd == 12 * 1 + 30 * 5


def test_count_tokens_is_recorded_at_no_cost(client, fake, machine):
    response = client.post(f"/anthropic/{machine.token}/v1/messages/count_tokens?beta=true", json=MESSAGE)
    assert response.get_json() == {"input_tokens": 42}
    [row] = ledger_rows()
    assert (row.path, row.model, row.outcome, row.cost_micro_usd, row.input_tokens) == (
        "/v1/messages/count_tokens", MODEL, "ok", 0, 0)


def test_an_upstream_error_is_recorded_with_its_type(client, fake, machine):
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests exceeded"}}
    fake.route("POST", "/v1/messages", JsonReply(429, body, headers={"retry-after": "12"}))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert response.status_code == 429 and response.get_json() == body
    [row] = ledger_rows()
    assert (row.outcome, row.status_code, row.error_type, row.cost_micro_usd) == (
        "upstream_error", 429, "rate_limit_error", 0)


def test_the_row_exists_while_the_request_is_in_flight(live_server, fake, machine):
    events = message_events()
    fake.route("POST", "/v1/messages", SseReply(events, lockstep=True))
    with requests.post(proxy_url(live_server.url, machine.token), json=dict(MESSAGE, stream=True), stream=True,
                       timeout=5) as response:
        chunks = response.iter_content(chunk_size=None)
        assert next(chunks).startswith(b"event: message_start")
        [row] = ledger_rows()
        assert (row.outcome, row.finished_at, row.model, row.stream) == ("in_progress", None, MODEL, True)
        for _ in events:
            fake.advance()
        assert b"".join(chunks).endswith(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
    assert finished_rows()[0].outcome == "ok"


def test_a_client_that_disconnects_closes_the_upstream_and_leaves_a_partial_row(live_server, fake, machine):
    events = message_events(parts=[f"word{i} " for i in range(400)], usage=usage_block(input_tokens=77))
    fake.route("POST", "/v1/messages", SseReply(events, interval=0.02))
    response = requests.post(proxy_url(live_server.url, machine.token), json=dict(MESSAGE, stream=True),
                             stream=True, timeout=5)
    received = b""
    chunks = response.iter_content(chunk_size=None)
    while b"content_block_delta" not in received:
        received += next(chunks)
    response.close()
    stream = fake.streams[0]
    assert stream.wait(timeout=5) == "client_closed"
    assert stream.sent < len(events) / 2
    [row] = finished_rows()
    assert (row.outcome, row.status_code, row.stream) == ("client_disconnected", 200, True)
    assert (row.input_tokens, row.output_tokens) == (77, 1)  # what message_start said so far
    assert row.cost_micro_usd == 77 * 2 + 1 * 10


def test_unparseable_bodies_are_relayed_and_recorded_without_usage(client, fake, machine):
    fake.route("POST", "/v1/messages", JsonReply(200, b"{not json", headers={"Content-Type": "application/json"}))
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE).data == b"{not json"
    fake.route("POST", "/v1/messages", SseReply([b"event: message_start\ndata: {broken\n\n",
                                                 b"data: " + json.dumps({"type": "message_stop"}).encode() + b"\n\n"]))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=dict(MESSAGE, stream=True))
    assert [(r.outcome, r.input_tokens, r.output_tokens) for r in ledger_rows()] == [("ok", 0, 0), ("ok", 0, 0)]
