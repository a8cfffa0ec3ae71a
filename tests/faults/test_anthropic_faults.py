"""Upstream faults on the Anthropic proxy, under gunicorn: what the client gets, the ledger row, and
that the worker is left with no request greenlet, half-closed or orphaned connection afterwards.

One server runs every scenario in turn (starting gunicorn per scenario would cost seconds each).
"""
import pytest
import requests

from app.models import ClaudeRequest
from tests.fakes.anthropic import JsonReply, SseReply, message_events, sse_event, usage_block
from tests.faults.conftest import MESSAGE, claude_rows, proxy_url, settled, wait_for
from tests.faults.procfs import leftovers, open_fds

EVENTS = message_events(parts=["one ", "two ", "three"], usage=usage_block(input_tokens=21, output_tokens=8))
STREAM = dict(MESSAGE, stream=True)
CLOSE = {"Connection": "close"}
BROKEN = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)


def error_event(message):
    """The closing event the proxy adds (its request_id varies, so it is matched up to it)."""
    return b'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"' + message.encode() + b'"}'


def open_stream(server, machine):
    return requests.post(proxy_url(server, machine), json=STREAM, headers=CLOSE, stream=True, timeout=15)


def finished(count):
    """The latest of `count` ledger rows, once all are finalised."""
    return settled(ClaudeRequest, count)[-1]


def reset_between_events(server, fake, machine, count):
    # Lock-step, so every event has reached the client before the reset (a RST may drop unread data).
    fake.route("POST", "/v1/messages", SseReply(EVENTS, lockstep=True, reset_after=4))
    response = open_stream(server, machine)
    chunks = response.iter_content(None)
    received = b""
    for event in EVENTS[:4]:
        while not received.endswith(event):
            received += next(chunks)
        fake.advance()
    body = received + b"".join(chunks)
    assert response.status_code == 200
    assert body.startswith(b"".join(EVENTS[:4]))
    assert body[len(b"".join(EVENTS[:4])):].startswith(
        error_event("The Anthropic API connection broke off mid-stream."))
    assert fake.streams[-1].wait(timeout=5) == "reset"
    row = finished(count)
    assert (row.outcome, row.status_code, row.error_type) == ("stream_error", 200, "api_error")
    assert (row.input_tokens, row.output_tokens) == (21, 1)  # what message_start had said


def cut_mid_event(server, fake, machine, count):
    half = EVENTS[4][:20]
    fake.route("POST", "/v1/messages", SseReply(EVENTS[:4] + [half, b"never sent"], drop_after=5))
    response = open_stream(server, machine)
    with pytest.raises(BROKEN):  # aborted, so the client cannot take it for a complete body
        b"".join(response.iter_content(None))
    row = finished(count)
    assert (row.outcome, row.status_code, row.input_tokens) == ("stream_error", 200, 21)


def stall_past_the_read_timeout(server, fake, machine, count):
    fake.route("POST", "/v1/messages", SseReply(EVENTS, stall_after=4, stall_seconds=15))
    response = open_stream(server, machine)
    body = response.content
    assert body.startswith(b"".join(EVENTS[:4]))
    assert body[len(b"".join(EVENTS[:4])):].startswith(
        error_event("The Anthropic API went silent mid-stream; the proxy gave up waiting."))
    assert fake.streams[-1].wait(timeout=10) == "client_closed"  # the proxy hung up on the stalled upstream
    row = finished(count)
    assert (row.outcome, row.error_type, row.input_tokens, row.output_tokens) == ("timeout", "api_error", 21, 1)


def garbage_between_events(server, fake, machine, count):
    garbage = [b"\x00\xfe\xff not an event at all\n\n", b"event: content_block_delta\ndata: {not json\n\n",
               b": a comment\n\nretry: soon\n\n"]
    chunks = EVENTS[:4] + garbage + EVENTS[4:]
    fake.route("POST", "/v1/messages", SseReply(chunks))
    response = open_stream(server, machine)
    assert response.content == b"".join(chunks)  # relayed byte for byte, garbage included
    row = finished(count)
    assert (row.outcome, row.input_tokens, row.output_tokens, row.error_type) == ("ok", 21, 8, None)


def ends_without_message_stop(server, fake, machine, count):
    fake.route("POST", "/v1/messages", SseReply(EVENTS[:5]))
    body = open_stream(server, machine).content
    assert body.startswith(b"".join(EVENTS[:5]))
    assert body[len(b"".join(EVENTS[:5])):].startswith(
        error_event("The Anthropic API ended the stream before the message was complete."))
    row = finished(count)
    assert (row.outcome, row.error_type, row.input_tokens) == ("stream_error", "api_error", 21)


def ends_inside_an_unterminated_event(server, fake, machine, count):
    unterminated = sse_event("message_stop", {"type": "message_stop"})[:-2]
    fake.route("POST", "/v1/messages", SseReply(EVENTS[:-1] + [unterminated]))
    response = open_stream(server, machine)
    with pytest.raises(BROKEN):
        b"".join(response.iter_content(None))
    row = finished(count)
    assert (row.outcome, row.input_tokens, row.output_tokens) == ("stream_error", 21, 8)


def non_json_error_bodies(server, fake, machine, count):
    cases = [
        (JsonReply(502, b"<html><body>502 Bad Gateway</body></html>", headers={"Content-Type": "text/html"}),
         MESSAGE),
        (JsonReply(500, b'{"type":"error","error":{"type":"api_er', headers={"Content-Type": "application/json"}),
         MESSAGE),
        (JsonReply(529, b"overloaded, try later", headers={"Content-Type": "text/plain"}), STREAM),
    ]
    for index, (reply, body) in enumerate(cases):
        fake.route("POST", "/v1/messages", reply)
        response = requests.post(proxy_url(server, machine), json=body, headers=CLOSE, timeout=15)
        assert (response.status_code, response.content) == (reply.status, reply.body)  # relayed as they came
        assert response.headers["Content-Type"] == dict(reply.headers)["Content-Type"]
        row = finished(count + index)
        assert (row.outcome, row.status_code, row.error_type) == ("upstream_error", reply.status, None)
        assert (row.input_tokens, row.output_tokens, row.cost_micro_usd) == (0, 0, 0)
    return count + len(cases) - 1


SCENARIOS = [reset_between_events, cut_mid_event, stall_past_the_read_timeout, garbage_between_events,
             ends_without_message_stop, ends_inside_an_unterminated_event, non_json_error_bodies]


def test_upstream_faults_reach_the_client_in_anthropic_terms_and_leave_nothing_behind(serve, anthropic, machine):
    server = serve(UPSTREAM_READ_TIMEOUT=1)
    [worker] = server.worker_pids()
    port = int(server.url.rsplit(":", 1)[1])
    count, descriptors = 0, []
    # Two rounds: the second must end with no more descriptors open than the first (nothing accumulates).
    for _ in range(2):
        for scenario in SCENARIOS:
            count = scenario(server, anthropic, machine, count + 1) or count + 1
            wait_for(lambda: not leftovers(worker, port), timeout=10, what=f"a clean worker after {scenario.__name__}")
        descriptors.append(open_fds(worker))
    wait_for(lambda: open_fds(worker) <= descriptors[0], timeout=5, what=f"descriptors back to {descriptors}")
    assert len(claude_rows()) == count
