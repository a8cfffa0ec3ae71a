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

from urllib3.exceptions import ProtocolError, ReadTimeoutError

from app.models.ledger import (OUTCOME_CLIENT_DISCONNECTED, OUTCOME_INTERNAL_ERROR, OUTCOME_OK,
                               OUTCOME_UPSTREAM_DISCONNECTED, OUTCOME_UPSTREAM_ERROR, OUTCOME_UPSTREAM_TIMEOUT,
                               USAGE_ESTIMATED)
from app.services.db.text import clip_text
from app.services.money import format_micro
from app.services.openai.errors import error_event, error_object
from app.services.openai.metering import DONE_EVENT
from app.services.quota.refusal import COST_HEADER, REMAINING_HEADER
from app.services.upstream.http import drain_for_reuse, iter_decoded_body


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
        return OUTCOME_UPSTREAM_ERROR, None
    if meter.done or meter.usage is not None:
        return OUTCOME_OK, None
    return OUTCOME_UPSTREAM_DISCONNECTED, error_object(
        502, "The model's upstream server ended the stream before it finished.", code="upstream_disconnected")


class EventStream:
    """The client's response body. A WSGI server calls close() when it is done or the client left,
    even if iteration never started; the request is settled exactly once either way."""

    def __init__(self, app, response, meter, job):
        self._app, self._response, self._meter, self._job = app, response, meter, job
        self._outcome = OUTCOME_CLIENT_DISCONNECTED
        self._chunks = iter_decoded_body(response)
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
            outcome = OUTCOME_UPSTREAM_TIMEOUT
            error = error_object(504, "The model's upstream server stopped sending in time.", code="upstream_timeout")
        except (ProtocolError, OSError):
            outcome = OUTCOME_UPSTREAM_DISCONNECTED
            error = error_object(502, "The model's upstream server closed the stream before it finished.",
                                 code="upstream_disconnected")
        except Exception:
            self._outcome = OUTCOME_INTERNAL_ERROR
            raise
        done = meter.done and error is None
        if not done:
            self._response.close()
        error_code = (meter.error["code"] or meter.error["type"]) if meter.error else error and error["code"]
        settlement = _settle_stream(self._app, self._job, meter, outcome, error_code)
        self._reusable = done
        yield (error_event(error) if error is not None else b"") + cost_comment(settlement) + DONE_EVENT

