"""Upstream faults on the OpenAI-compatible API, under gunicorn: what the client gets (OpenAI's error
shape, mid-stream as an error event before [DONE]), the ledger row and its settlement (the
reservation always given back), and nothing left behind in the worker.

One server runs every scenario in turn (starting gunicorn per scenario would cost seconds each).
"""
import json

import requests

from app.models import LlmRequest
from app.services.quota.pricing import estimate_prompt_tokens
from tests.fakes import openai as fake_openai
from tests.faults.conftest import CHAT, bearer, chat_url, llm_rows, reserved, settled, wait_for
from tests.faults.procfs import leftovers, open_fds

CLOSE = {"Connection": "close"}
STREAM_BODY = json.dumps(dict(CHAT, stream=True)).encode()


def post(server, key, body, *, stream=False):
    return requests.post(chat_url(server), data=body, headers={**bearer(key), **CLOSE, "Content-Type":
                                                               "application/json"}, stream=stream, timeout=15)


def data_events(body):
    """The `data:` payloads of an event stream, in order."""
    return [line[6:] for line in body.decode().split("\n") if line.startswith("data: ")]


def finished(count):
    return settled(LlmRequest, count)[-1]


def stream_error(body):
    """The error object of the stream's error event, checking the stream still ends with [DONE]."""
    events = data_events(body)
    assert events[-1] == "[DONE]"
    [error] = [json.loads(e)["error"] for e in events[:-1] if e.startswith('{"error"')]
    return error


def assert_settled_from_an_estimate(row, completion_tokens):
    assert (row.prompt_tokens, row.completion_tokens) == (estimate_prompt_tokens(len(STREAM_BODY)), completion_tokens)
    assert row.cost_micro_usd > 0 and row.status_code == 200


def reset_mid_stream(server, upstream, key, count):
    # The upstream holds after three events until the test has them, then resets (a RST may drop unread data).
    upstream.gate.clear()
    upstream.reply = fake_openai.stream(pieces=("a", "b", "c", "d"), gate_after=3, reset_after=3)
    response = post(server, key, STREAM_BODY, stream=True)
    chunks, received = response.iter_content(None), b""
    while received.count(b"\n\n") < 3:
        received += next(chunks)
    upstream.gate.set()
    body = received + b"".join(chunks)
    assert response.status_code == 200
    error = stream_error(body)
    assert (error["code"], error["type"]) == ("upstream_disconnected", "server_error")
    row = finished(count)
    assert (row.outcome, row.error_code) == ("upstream_disconnected", "upstream_disconnected")
    assert_settled_from_an_estimate(row, 2)  # role chunk, "a", "b": two generated chunks


def stall_past_the_read_timeout(server, upstream, key, count):
    upstream.gate.clear()
    upstream.client_gone.clear()
    upstream.reply = fake_openai.stream(pieces=("a", "b", "c"), gate_after=3)  # never opened
    body = post(server, key, STREAM_BODY, stream=True).content
    assert stream_error(body)["code"] == "upstream_timeout"
    assert upstream.client_gone.wait(timeout=10)  # the proxy hung up on the stalled upstream
    row = finished(count)
    assert (row.outcome, row.error_code) == ("upstream_timeout", "upstream_timeout")
    assert_settled_from_an_estimate(row, 2)


def garbage_in_the_stream(server, upstream, key, count):
    role = (b'data: {"id":"c1","object":"chat.completion.chunk","model":"qwen3-8b","choices":[{"index":0,'
            b'"delta":{"role":"assistant","content":""}}]}\n\n')
    piece = role.replace(b'"role":"assistant","content":""', b'"content":"hi"')
    upstream.reply = fake_openai.raw_stream([role, piece, b"data: <html>502 Bad Gateway</html>\n\n", piece])
    body = post(server, key, STREAM_BODY, stream=True).content
    assert body.startswith(role + piece)
    assert b"<html>" not in body  # not handed to the client's JSON decoder
    error = stream_error(body)
    assert (error["code"], error["type"]) == ("bad_upstream_response", "server_error")
    row = finished(count)
    assert (row.outcome, row.error_code) == ("upstream_error", "bad_upstream_response")
    assert_settled_from_an_estimate(row, 1)


def binary_noise_then_a_clean_end(server, upstream, key, count):
    role = (b'data: {"id":"c2","object":"chat.completion.chunk","model":"qwen3-8b","choices":[{"index":0,'
            b'"delta":{"role":"assistant","content":""}}]}\n\n')
    upstream.reply = fake_openai.raw_stream([role, b"\x00\xff\xfe noise with no blank line"])
    body = post(server, key, STREAM_BODY, stream=True).content
    assert stream_error(body)["code"] == "upstream_disconnected"  # no [DONE], no usage: cut off
    row = finished(count)
    assert (row.outcome, row.cost_micro_usd) == ("upstream_disconnected", 0)  # nothing was generated


def unterminated_usage_chunk(server, upstream, key, count):
    usage = (b'data: {"id":"c3","object":"chat.completion.chunk","model":"qwen3-8b","choices":[],'
             b'"usage":{"prompt_tokens":30,"completion_tokens":20,"total_tokens":50}}')
    piece = (b'data: {"id":"c3","object":"chat.completion.chunk","model":"qwen3-8b","choices":[{"index":0,'
             b'"delta":{"content":"hi"}}]}\n\n')
    upstream.reply = fake_openai.raw_stream([piece, usage])  # no blank line after the last event, no [DONE]
    body = post(server, key, STREAM_BODY, stream=True).content
    assert data_events(body)[-1] == "[DONE]" and b'"error"' not in body
    row = finished(count)
    assert (row.outcome, row.prompt_tokens, row.completion_tokens, row.cost_micro_usd) == ("ok", 30, 20, 11)


def non_json_error_bodies(server, upstream, key, count):
    cases = [(fake_openai.raw(502, b"<html><body>502 Bad Gateway</body></html>"), False),
             (fake_openai.raw(500, b'{"error": {"message": "trunc', "application/json"), False),
             (fake_openai.raw(503, b"upstream overloaded", "text/plain"), True)]
    for index, (reply, stream) in enumerate(cases):
        upstream.reply = reply
        body = STREAM_BODY if stream else json.dumps(CHAT).encode()
        response = post(server, key, body)
        status = (502, 500, 503)[index]
        assert response.status_code == status
        assert response.json() == {"error": {
            "message": f"The upstream server answered HTTP {status} without an error we could read.",
            "type": "server_error", "param": None, "code": "upstream_error"}}
        assert response.headers["x-hep-cost-usd"] == "0"
        row = finished(count + index)
        assert (row.outcome, row.status_code, row.error_code, row.cost_micro_usd) == (
            "upstream_error", status, "upstream_error", 0)
    return count + len(cases) - 1


SCENARIOS = [reset_mid_stream, stall_past_the_read_timeout, garbage_in_the_stream, binary_noise_then_a_clean_end,
             unterminated_usage_chunk, non_json_error_bodies]


def test_upstream_faults_reach_the_client_in_openai_terms_and_release_every_reservation(
        serve, openai_upstream, key, user):
    server = serve(UPSTREAM_READ_TIMEOUT=1)
    [worker] = server.worker_pids()
    port = int(server.url.rsplit(":", 1)[1])
    baseline = reserved(user)
    count, descriptors = 0, []
    # Two rounds: the second must end with no more descriptors open than the first (nothing accumulates).
    for _ in range(2):
        for scenario in SCENARIOS:
            count = scenario(server, openai_upstream, key, count + 1) or count + 1
            wait_for(lambda: not leftovers(worker, port), timeout=10, what=f"a clean worker after {scenario.__name__}")
            assert reserved(user) == baseline, scenario.__name__
        descriptors.append(open_fds(worker))
    wait_for(lambda: open_fds(worker) <= descriptors[0], timeout=5, what=f"descriptors back to {descriptors}")
    assert len(llm_rows()) == count
