"""The streaming half of the relay: upstream SSE bytes to the client as they arrive, metered.

The generator owns the upstream response. It reads chunked bodies chunk by chunk (and other
bodies with read1), relays each complete event at once, and settles the request before the
final `data: [DONE]`, preceded by an SSE comment carrying the cost (clients' SSE decoders skip
comments). Whatever ends the stream — [DONE], an upstream error or stall, the upstream or the
client going away — close() settles exactly once and releases the upstream connection.

An upstream's `data: [DONE]` arrives just before the end of its chunked body. Once the client has
its own [DONE] (and the server has ended the client's response), close() reads that remainder —
bounded in time and bytes — so the keep-alive connection goes back to the pool instead of being
closed; anything else (an error, a client that left, an upstream slow to end) closes it.
"""
import socket
import time

from urllib3.exceptions import ProtocolError, ReadTimeoutError

from app.services.llm_metering import DONE_EVENT
from app.services.text_input import clip_text
from app.services.money import format_micro
from app.services.quota import (CLIENT_DISCONNECTED, INTERNAL_ERROR, OK, UPSTREAM_DISCONNECTED, UPSTREAM_ERROR,
                                UPSTREAM_TIMEOUT, USAGE_ESTIMATED)
from app.services.quota_errors import COST_HEADER, REMAINING_HEADER
from app.services.upstream_errors import error_event, error_object

READ_SIZE = 65536
DRAIN_SECONDS = 0.5     # how long close() waits for the rest of an upstream body after [DONE]
DRAIN_BYTES = 65536     # and how much of it it reads before giving up on reusing the connection


def upstream_chunks(response):
    """The upstream body as it arrives: one HTTP chunk at a time, or whatever one read returns."""
    raw = response.raw
    if raw.chunked and raw.supports_chunked_reads():
        yield from raw.read_chunked(decode_content=True)
        return
    while True:
        data = raw.read1(READ_SIZE)
        if not data:
            return
        yield data


def cost_comment(settlement):
    """The SSE comment that tells a streaming client what the request cost and what is left."""
    if settlement is None:
        return b""
    return (f": {COST_HEADER}: {format_micro(settlement.cost)}\n"
            f": {REMAINING_HEADER}: {format_micro(settlement.standing.remaining())}\n\n").encode()


def _settle_stream(app, job, meter, outcome, error_code=None):
    usage = meter.usage
    if usage is None:
        # Cut off (or ended) without the upstream's usage: bill what can be counted.
        usage = job.estimated_usage(max(0, meter.generated_chunks - 1))
        error_code = error_code or USAGE_ESTIMATED
    job.upstream_request_id = job.upstream_request_id or clip_text(meter.upstream_id or "", 128) or None
    with app.app_context():
        return job.settle(outcome, status=200, usage=usage, error_code=error_code)


def _ending(meter):
    """How a stream that ran to the upstream's end finished: (outcome, error object or None)."""
    if meter.error is not None:
        return UPSTREAM_ERROR, None
    if meter.done or meter.usage is not None:
        return OK, None
    return UPSTREAM_DISCONNECTED, error_object(
        502, "The model's upstream server ended the stream before it finished.", code="upstream_disconnected")


def drain_for_reuse(response, chunks):
    """Read what is left of a chunked upstream body after [DONE], within DRAIN_SECONDS and
    DRAIN_BYTES, so that urllib3 returns the connection to its pool. True if it did."""
    raw = response.raw
    if not raw.chunked:
        return False
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    previous = sock.gettimeout()
    deadline = time.monotonic() + DRAIN_SECONDS
    total = 0
    try:
        sock.settimeout(DRAIN_SECONDS)
        for data in chunks:
            total += len(data)
            if total > DRAIN_BYTES or time.monotonic() > deadline:
                return False
        return raw.connection is None  # urllib3 released it to the pool at the end of the body
    except Exception:  # noqa: BLE001 - a timeout, a reset, a malformed end: the connection is just closed
        return False
    finally:
        try:
            sock.settimeout(previous)
        except OSError:
            pass


class EventStream:
    """The client's response body. A WSGI server calls close() when it is done or the client left,
    even if iteration never started; the request is settled exactly once either way."""

    def __init__(self, app, response, meter, job):
        self._app, self._response, self._meter, self._job = app, response, meter, job
        self._outcome = CLIENT_DISCONNECTED
        self._chunks = upstream_chunks(response)
        self._reusable = False  # set once the upstream said [DONE] and the client was sent its own
        self._events = self._relay()

    def __iter__(self):
        return self._events

    def close(self):
        """Stop relaying: close the upstream connection and settle if that has not happened."""
        try:
            self._events.close()
            if self._reusable:
                drain_for_reuse(self._response, self._chunks)
        finally:
            self._chunks.close()
            self._response.close()
            if not self._job.settled:
                _settle_stream(self._app, self._job, self._meter, self._outcome)

    def _relay(self):
        meter, error = self._meter, None
        try:
            for data in self._chunks:
                out = meter.feed(data)
                if out:
                    yield out
                if meter.finished:
                    break
            else:
                out = meter.flush()
                if out:
                    yield out
            outcome, error = _ending(meter)
        except (ReadTimeoutError, socket.timeout):
            outcome = UPSTREAM_TIMEOUT
            error = error_object(504, "The model's upstream server stopped sending in time.", code="upstream_timeout")
        except (ProtocolError, OSError):
            outcome = UPSTREAM_DISCONNECTED
            error = error_object(502, "The model's upstream server closed the stream before it finished.",
                                 code="upstream_disconnected")
        except Exception:
            self._outcome = INTERNAL_ERROR
            raise
        done = meter.done and error is None
        if not done:
            self._response.close()
        error_code = (meter.error["code"] or meter.error["type"]) if meter.error else error and error["code"]
        settlement = _settle_stream(self._app, self._job, meter, outcome, error_code)
        self._reusable = done
        yield (error_event(error) if error is not None else b"") + cost_comment(settlement) + DONE_EVENT
