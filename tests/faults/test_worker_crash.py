"""Crash-safe metering: a gunicorn worker killed (SIGKILL) mid-stream leaves in-progress rows that
the sweeper marks interrupted once the worker's lease expires, giving the reservation back; the
master's replacement worker keeps serving; a live stream is never swept, however long it runs."""
import os
import signal
import time

import pytest
import requests

from app.services.upkeep.sweeper import sweep_interrupted_requests
from tests.fakes import openai as openai_fake
from tests.fakes.anthropic import SseReply, message_events, usage_block
from tests.faults.conftest import (CHAT, MESSAGE, bearer, chat_url, claude_rows, llm_rows, proxy_url, reserved,
                                   settled, wait_for)

BROKEN = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)


def open_streams(server, machine, key, anthropic, openai_upstream):
    """One Anthropic and one OpenAI stream, each held by its upstream after the first events."""
    events = message_events(parts=["one ", "two ", "three"], usage=usage_block(input_tokens=40, output_tokens=9))
    anthropic.route("POST", "/v1/messages", SseReply(events, lockstep=True, lockstep_timeout=30))
    openai_upstream.reply = openai_fake.stream(pieces=("a", "b", "c"), gate_after=2)
    claude = requests.post(proxy_url(server, machine), json=dict(MESSAGE, stream=True), stream=True, timeout=30)
    chat = requests.post(chat_url(server), json=dict(CHAT, stream=True), headers=bearer(key), stream=True,
                         timeout=30)
    claude_chunks, chat_chunks = claude.iter_content(None), chat.iter_content(None)
    assert next(claude_chunks).startswith(b"event: message_start")
    assert next(chat_chunks).startswith(b"data: {")
    return (claude, claude_chunks, len(events)), (chat, chat_chunks)


def drain(chunks):
    return b"".join(chunks)


def test_a_worker_killed_mid_stream_leaves_rows_that_the_sweeper_interrupts(serve, anthropic, openai_upstream,
                                                                             machine, key, user, cli_runner):
    server = serve(WORKER_LEASE_SECONDS=2)
    [victim] = server.worker_pids()
    baseline = reserved(user)
    (claude, claude_chunks, _), (chat, chat_chunks) = open_streams(server, machine, key, anthropic, openai_upstream)
    [claude_row], [llm_row] = claude_rows(), llm_rows()
    assert (claude_row.outcome, llm_row.outcome) == ("in_progress", "in_progress")
    assert claude_row.worker_id == llm_row.worker_id and claude_row.worker_id.startswith("worker:")
    assert llm_row.reserved_micro_usd > 0 and reserved(user) == baseline + llm_row.reserved_micro_usd

    os.kill(victim, signal.SIGKILL)

    # The clients see their streams break off, and the upstreams see their connections closed.
    with pytest.raises(BROKEN):
        drain(claude_chunks)
    with pytest.raises(BROKEN):
        drain(chat_chunks)
    claude.close()
    chat.close()
    assert anthropic.streams[0].wait(timeout=10) == "client_closed"
    assert openai_upstream.client_gone.wait(timeout=10)
    # Nobody finalised the rows: they are still in progress and the reservation is still held.
    assert [r.outcome for r in claude_rows() + llm_rows()] == ["in_progress", "in_progress"]
    assert reserved(user) == baseline + llm_row.reserved_micro_usd

    def swept():
        # `flask ledger sweep`, as an operator would run it, until the dead worker's lease expires
        # (the replacement worker's own heartbeat sweeps too; whichever comes first does it).
        result = cli_runner.invoke(args=["ledger", "sweep"])
        assert result.exit_code == 0, result.output
        return all(r.outcome == "interrupted" for r in claude_rows() + llm_rows())
    wait_for(swept, timeout=20, interval=0.25, what="the sweep of the killed worker's rows")

    assert reserved(user) == baseline
    [claude_row], [llm_row] = claude_rows(), llm_rows()
    assert (claude_row.error_type, claude_row.finished_at is not None) == ("worker_lost", True)
    assert (claude_row.input_tokens, claude_row.output_tokens, claude_row.cost_micro_usd) == (0, 0, 0)
    assert (llm_row.error_code, llm_row.cost_micro_usd, llm_row.finished_at is not None) == ("worker_lost", 0, True)

    # The master started a replacement, which serves both surfaces and meters under its own id.
    [replacement] = wait_for(lambda: [pid for pid in server.worker_pids() if pid != victim], what="a new worker")
    anthropic.route("POST", "/v1/messages", SseReply(message_events()))
    openai_upstream.reply = openai_fake.auto()
    assert requests.post(proxy_url(server, machine), json=MESSAGE, timeout=10).status_code == 200
    assert requests.post(chat_url(server), json=CHAT, headers=bearer(key), timeout=10).status_code == 200
    fresh = settled(type(claude_row), 2)[-1], settled(type(llm_row), 2)[-1]
    assert [r.outcome for r in fresh] == ["ok", "ok"]
    assert fresh[0].worker_id == fresh[1].worker_id != claude_row.worker_id
    assert reserved(user) == baseline


def test_a_live_stream_is_never_swept_however_long_it_runs(serve, anthropic, openai_upstream, machine, key, user):
    server = serve(WORKER_LEASE_SECONDS=1)
    baseline = reserved(user)
    (claude, claude_chunks, events), (chat, chat_chunks) = open_streams(server, machine, key, anthropic,
                                                                        openai_upstream)
    # Hold both streams open for several lease periods while sweeping all the time.
    held_until = time.monotonic() + 3.5
    sweeps = 0
    while time.monotonic() < held_until:
        assert sweep_interrupted_requests().rows == 0
        sweeps += 1
        time.sleep(0.1)
    assert sweeps > 10
    assert [r.outcome for r in claude_rows() + llm_rows()] == ["in_progress", "in_progress"]

    for _ in range(events):
        anthropic.advance()
    openai_upstream.gate.set()
    assert drain(claude_chunks).endswith(b'data: {"type":"message_stop"}\n\n')
    assert drain(chat_chunks).endswith(b"data: [DONE]\n\n")
    claude.close()
    chat.close()
    [claude_row], [llm_row] = settled(type(claude_rows()[0])), settled(type(llm_rows()[0]))
    assert (claude_row.outcome, claude_row.input_tokens, claude_row.output_tokens) == ("ok", 40, 9)
    assert (llm_row.outcome, llm_row.cost_micro_usd) == ("ok", 4)
    assert reserved(user) == baseline
