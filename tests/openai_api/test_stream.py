"""Streaming chat completions: relayed as they arrive, usage asked for and billed, cut-offs metered."""
import json
import time

import requests

from app.services.quota.pricing import estimate_prompt_tokens
from tests.fakes import openai as fake
from tests.openai_api.conftest import UPSTREAM_MODEL, auth, fresh_user, ledger_rows

MESSAGES = [{"role": "user", "content": "Hi"}]


def stream_chat(client, key, buffered=False, **fields):
    raw = json.dumps({"model": "qwen3-8b", "messages": MESSAGES, "stream": True, **fields}).encode()
    response = client.post("/v1/chat/completions", data=raw, buffered=buffered,
                           headers={**auth(key), "Content-Type": "application/json"})
    return response, raw


def events(body):
    """The SSE events of a body: (data payloads, comment lines)."""
    data, comments = [], []
    for block in body.decode().split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                data.append(line[6:])
            elif line.startswith(":"):
                comments.append(line)
    return data, comments


def test_a_stream_without_include_usage_hides_the_usage_chunk_but_is_billed_from_it(client, key, user, upstream):
    response, _ = stream_chat(client, key)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "x-hep-cost-usd" not in response.headers
    assert float(response.headers["x-hep-remaining-usd"]) < 20  # this request's reservation is counted
    data, comments = events(response.get_data())
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(chunk["choices"] for chunk in chunks)
    assert all(chunk["model"] == "qwen3-8b" for chunk in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello!"
    assert comments == [": x-hep-cost-usd: 0.000004", ": x-hep-remaining-usd: 19.999996"]

    forwarded = upstream.last.json()
    assert forwarded["model"] == UPSTREAM_MODEL
    assert forwarded["stream_options"] == {"include_usage": True}
    [row] = ledger_rows()
    assert (row.outcome, row.stream, row.status_code, row.error_code) == ("ok", True, 200, None)
    assert (row.prompt_tokens, row.completion_tokens, row.cost_micro_usd) == (11, 7, 4)
    assert row.upstream_request_id == "upstream-req-1"
    assert row.ttfb_ms is not None
    assert fresh_user(user.id).reserved_micro_usd == 0


def test_a_stream_with_include_usage_gets_the_usage_chunk(client, key, upstream):
    upstream.reply = fake.stream(prompt_tokens=20, cached_tokens=5, completion_tokens=3)
    response, _ = stream_chat(client, key, stream_options={"include_usage": True, "include_obfuscation": False})
    data, comments = events(response.get_data())
    chunks = [json.loads(d) for d in data[:-1]]
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == [] and usage_chunk["model"] == "qwen3-8b"
    assert usage_chunk["usage"]["prompt_tokens"] == 20
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert upstream.last.json()["stream_options"] == {"include_usage": True, "include_obfuscation": False}
    # 15 x $0.10 + 5 x $0.025 + 3 x $0.40 per million = 2.825 micro-dollars, rounded up to 3.
    assert comments[0] == ": x-hep-cost-usd: 0.000003"


def test_include_usage_false_is_turned_on_upstream_and_the_chunk_dropped(client, key, upstream):
    response, _ = stream_chat(client, key, stream_options={"include_usage": False})
    data, _ = events(response.get_data())
    assert all(json.loads(d)["choices"] for d in data[:-1])
    assert upstream.last.json()["stream_options"] == {"include_usage": True}
    assert ledger_rows()[0].cost_micro_usd == 4


def test_relayed_events_are_the_upstreams_bytes_with_only_the_model_changed(client, key, upstream):
    response, _ = stream_chat(client, key, stream_options={"include_usage": True})
    relayed = response.get_data().split(b"\n\n")
    # What the fake wrote, reconstructed: every data event with the upstream model name.
    assert all(b'"model":"qwen3-8b"' in event for event in relayed if event.startswith(b"data: {"))
    assert relayed[0].startswith(b'data: {"id":"chatcmpl-fake2","object":"chat.completion.chunk",'
                                 b'"created":1700000000,"model":"qwen3-8b","choices":[{"index":0,'
                                 b'"delta":{"role":"assistant","content":""}')
    assert UPSTREAM_MODEL.encode() not in response.get_data()


def test_a_mid_stream_upstream_error_becomes_an_error_event_then_done(client, key, user, upstream):
    upstream.reply = fake.stream(error_after=2)
    response, raw = stream_chat(client, key)
    assert response.status_code == 200
    data, comments = events(response.get_data())
    assert len(data) == 4 and data[-1] == "[DONE]"
    assert json.loads(data[2]) == {"error": {"message": "engine died", "type": "server_error", "param": None,
                                             "code": None}}
    [row] = ledger_rows()
    assert (row.outcome, row.status_code) == ("upstream_error", 200)
    # No usage arrived: one generated chunk after the role chunk, prompt estimated from the body size.
    assert row.error_code == "server_error"
    assert (row.prompt_tokens, row.completion_tokens) == (estimate_prompt_tokens(len(raw)), 1)
    assert comments[0] == f": x-hep-cost-usd: 0.{row.cost_micro_usd:06d}"
    assert fresh_user(user.id).reserved_micro_usd == 0


def test_a_stalled_upstream_ends_the_stream_with_a_timeout_error(client, app, key, upstream, monkeypatch):
    monkeypatch.setitem(app.config, "UPSTREAM_READ_TIMEOUT", 0.3)
    upstream.reply = fake.stream(stall_after=2)
    response, _ = stream_chat(client, key)
    data, _ = events(response.get_data())
    assert json.loads(data[-2])["error"]["code"] == "upstream_timeout"
    assert data[-1] == "[DONE]"
    [row] = ledger_rows()
    assert (row.outcome, row.error_code) == ("upstream_timeout", "upstream_timeout")


def test_an_upstream_that_closes_mid_stream_is_reported_and_metered(client, key, upstream):
    upstream.reply = fake.stream(close_after=3)
    response, _ = stream_chat(client, key)
    data, _ = events(response.get_data())
    assert [json.loads(d)["choices"][0]["delta"].get("content") for d in data[:3]] == ["", "Hel", "lo"]
    assert json.loads(data[3])["error"]["code"] == "upstream_disconnected"
    assert data[-1] == "[DONE]"
    [row] = ledger_rows()
    assert (row.outcome, row.completion_tokens, row.error_code) == ("upstream_disconnected", 2,
                                                                   "upstream_disconnected")


def test_a_stream_whose_upstream_fails_before_it_starts_gets_a_json_error(client, key, upstream):
    upstream.reply = fake.vllm_error(400, "bad stream request", flat=True)
    response, _ = stream_chat(client, key)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "bad stream request"
    assert ledger_rows()[0].outcome == "upstream_error"


def test_a_stream_that_ends_without_done_but_with_usage_is_ok(client, key, upstream):
    upstream.reply = fake.stream(done=False)
    response, _ = stream_chat(client, key)
    data, _ = events(response.get_data())
    assert data[-1] == "[DONE]"
    assert ledger_rows()[0].outcome == "ok"


def test_finished_streams_return_the_upstream_connection_to_the_pool(client, key, upstream):
    # The relay stops relaying at the upstream's [DONE]; it then reads the end of the chunked
    # body, so the next request reuses the same keep-alive connection instead of opening one.
    bodies = []
    for _ in range(3):
        response, _raw = stream_chat(client, key, stream_options={"include_usage": True}, buffered=True)
        assert response.status_code == 200
        bodies.append(response.data)
    for body in bodies:
        assert body.endswith(b"data: [DONE]\n\n")
    assert len(upstream.requests) == 3
    assert upstream.connections == 1
    assert [row.outcome for row in ledger_rows()] == ["ok", "ok", "ok"]


def test_a_stream_cut_off_by_an_upstream_error_still_lets_the_next_request_through(client, key, upstream):
    upstream.reply = fake.stream(error_after=2)
    response, _raw = stream_chat(client, key, buffered=True)
    assert response.data.endswith(b"data: [DONE]\n\n")
    upstream.reply = fake.auto()
    response, _raw = stream_chat(client, key, buffered=True)
    assert response.status_code == 200 and response.data.endswith(b"data: [DONE]\n\n")
    assert [row.outcome for row in ledger_rows()] == ["upstream_error", "ok"]


def test_chunks_reach_the_client_while_the_upstream_is_still_generating(live_server, key, upstream):
    upstream.reply = fake.stream(gate_after=2)
    with requests.post(live_server.url + "/v1/chat/completions", stream=True, timeout=10, headers=auth(key),
                       json={"model": "qwen3-8b", "messages": MESSAGES, "stream": True}) as response:
        received = b""
        chunks = response.iter_content(None)
        while b'"content":"Hel"' not in received:
            received += next(chunks)
        # The upstream is blocked on the gate: what we have came through before the stream ended.
        assert not upstream.gate.is_set()
        # Meanwhile the request is on the ledger with its reservation: a killed worker would
        # leave exactly this for a sweeper to release.
        [row] = ledger_rows()
        assert row.outcome == "in_progress" and row.finished_at is None
        assert row.reserved_micro_usd > 0
        assert fresh_user(row.user_id).reserved_micro_usd == row.reserved_micro_usd
        upstream.gate.set()
        for chunk in chunks:
            received += chunk
    assert received.endswith(b"data: [DONE]\n\n")
    assert ledger_rows()[0].outcome == "ok"


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_a_client_leaving_mid_stream_closes_the_upstream_and_is_billed_what_was_counted(live_server, key, user,
                                                                                         upstream):
    pieces = [f"t{i} " for i in range(400)]
    upstream.reply = fake.stream(pieces, interval=0.01)
    raw = json.dumps({"model": "qwen3-8b", "messages": MESSAGES, "stream": True}).encode()
    response = requests.post(live_server.url + "/v1/chat/completions", data=raw, stream=True, timeout=10,
                             headers={**auth(key), "Content-Type": "application/json"})
    chunks = response.iter_content(None)
    received = b""
    while received.count(b"data: ") < 5:
        received += next(chunks)
    response.close()

    row = wait_for(lambda: next((r for r in ledger_rows() if r.outcome != "in_progress"), None))
    assert upstream.client_gone.wait(10)
    assert upstream.events_written < len(pieces)
    assert row.outcome == "client_disconnected"
    assert row.error_code == "usage_estimated"
    assert row.prompt_tokens == estimate_prompt_tokens(len(raw))
    assert 4 <= row.completion_tokens < len(pieces)
    expected = -(-(row.prompt_tokens * 100_000 + row.completion_tokens * 400_000) // 1_000_000)
    assert row.cost_micro_usd == expected
    assert fresh_user(user.id).reserved_micro_usd == 0
