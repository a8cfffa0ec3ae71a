"""The relayed response body: upstream bytes passed on unchanged, metered, finalised once.

RelayBody is the WSGI response iterable. Iterating yields each upstream chunk as soon as
it is read. Its generator's `finally` runs on every ending: the body completed, upstream
failed mid-body, or the WSGI server closed the iterable because the client went away
(GeneratorExit at the paused yield, PROTOCOLS §5.5). It then closes the upstream response
(an unfinished one takes its TCP connection with it, which cancels the generation) and
finalises the ledger row. close() also finalises bodies the server never iterated (HEAD,
204, 304).

When an event stream breaks off, goes silent between two events, or ends without its
`message_stop`, the client gets one final `event: error` in Anthropic's shape instead of a
silently truncated stream; when it breaks mid-event (or the body is not an event stream) the
error propagates so the server aborts the connection rather than end the body cleanly.
"""
import logging
import time
from dataclasses import dataclass
from typing import Optional

from app.models.ledger import (OUTCOME_CLIENT_DISCONNECTED, OUTCOME_OK, OUTCOME_STREAM_ERROR, OUTCOME_TIMEOUT,
                               OUTCOME_UNREACHABLE, OUTCOME_UPSTREAM_ERROR)
from app.services.claude.ledger import finish_claude_request
from app.services.claude.metering import ClaudeMeter, Usage
from app.services.claude.errors import error_event
from app.services.claude.prices import cost_micro_usd
from app.services.errors import UpstreamTimeout
from app.services.pool.failover import fail_over_if_exhausted, note_rate_limit_headers
from app.services.pool.usage_signals import rate_limit_headers
from app.services.upstream.http import UpstreamBodyError, close_quietly, iter_raw_body

logger = logging.getLogger("hepgg.proxy")


@dataclass
class RelayContext:
    """What finalising a request needs once the request context is gone."""

    app: object
    engine: object
    call: object
    model: Optional[str]
    stream: bool
    pooled_account_id: Optional[int]
    failover: bool
    messages: bool
    count_tokens: bool
    headers_at: Optional[float] = None


class RelayBody:
    """The WSGI iterable of one relayed response."""

    def __init__(self, context, response, *, prefetched=b"", event_stream=False):
        self._ctx = context
        self._response = response
        self._prefetched = prefetched
        self._status = response.status_code
        headers = response.headers
        # Message bodies are parsed for usage, errors for their type; other bodies (lists, batches) are not.
        read_json = self._status >= 400 or context.messages
        self._meter = ClaudeMeter(context.model, content_type=(headers.get("content-type") or "").lower(),
                                  content_encoding=headers.get("content-encoding") or "", read_body=read_json)
        # Our own closing event may only be added to a plain, open-ended stream.
        self._inject_errors = event_stream and "content-length" not in headers and not headers.get("content-encoding")
        self._gen = None
        self._done = False
        self._first_byte_at = None

    def __iter__(self):
        if self._gen is None:
            self._gen = self._relay()
        return self._gen

    def close(self):
        """Called by the WSGI server when the response ends, however it ends."""
        if self._gen is not None:
            self._gen.close()
        if not self._done:
            self._finalise(self._completed_outcome())

    def _relay(self):
        outcome = None
        try:
            try:
                if self._prefetched:
                    self._first_byte_at = time.monotonic()
                    self._meter.feed(self._prefetched)
                    yield self._prefetched
                for chunk in iter_raw_body(self._response):
                    if self._first_byte_at is None:
                        self._first_byte_at = time.monotonic()
                    self._meter.feed(chunk)
                    yield chunk
            except UpstreamBodyError as exc:
                outcome = OUTCOME_TIMEOUT if exc.timed_out else OUTCOME_STREAM_ERROR
                if not (self._inject_errors and self._meter.at_event_boundary):
                    raise
                self._meter.error_type = "api_error"
                message = ("The Anthropic API went silent mid-stream; the proxy gave up waiting." if exc.timed_out
                           else "The Anthropic API connection broke off mid-stream.")
                yield error_event(message, self._ctx.call.request_id)
            else:
                outcome = self._completed_outcome()
                if self._incomplete_message_stream():
                    outcome = OUTCOME_STREAM_ERROR
                    self._meter.error_type = "api_error"
                    if not (self._inject_errors and self._meter.at_event_boundary):
                        raise UpstreamBodyError("upstream ended the stream mid-event", timed_out=False)
                    yield error_event("The Anthropic API ended the stream before the message was complete.",
                                       self._ctx.call.request_id)
        except GeneratorExit:
            outcome = outcome or OUTCOME_CLIENT_DISCONNECTED
            raise
        finally:
            self._finalise(outcome or OUTCOME_STREAM_ERROR)

    def _incomplete_message_stream(self):
        """A Messages event stream that ended cleanly but without message_stop (and without an error event)."""
        meter = self._meter
        return (self._ctx.messages and meter.stream and meter.readable and self._status < 300
                and not meter.stopped and meter.error_type is None)

    def _completed_outcome(self):
        if self._status >= 400:
            return OUTCOME_UPSTREAM_ERROR
        return OUTCOME_STREAM_ERROR if self._meter.error_type else OUTCOME_OK

    def _finalise(self, outcome):
        if self._done:
            return
        self._done = True
        close_quietly(self._response)
        ctx = self._ctx
        meter = self._meter
        meter.finish()
        usage = Usage() if ctx.count_tokens else meter.usage
        first = self._first_byte_at or ctx.headers_at
        headers = self._response.headers
        try:
            finish_claude_request(
                ctx.engine, ctx.call.request_id, outcome=outcome, status_code=self._status,
                model=meter.model, stream=ctx.stream or meter.stream, usage=usage, error_type=meter.error_type,
                upstream_request_id=headers.get("request-id"),
                ttfb_ms=int((first - ctx.call.started) * 1000) if first else None,
                duration_ms=ctx.call.elapsed_ms(),
                cost_micro_usd=0 if ctx.count_tokens else cost_micro_usd(meter.model, usage))
        except Exception:  # the client has its answer; a lost ledger update must not turn into an error
            logger.exception("could not finalise ledger row %s", ctx.call.request_id)
        if ctx.pooled_account_id is not None:
            self._feed_pool(ctx, headers)

    def _feed_pool(self, ctx, headers):
        limits = rate_limit_headers(headers.items())
        if not limits and self._status != 429:
            return
        try:
            with ctx.app.app_context():
                note_rate_limit_headers(ctx.app, ctx.pooled_account_id, limits, urgent=self._status == 429)
                if ctx.failover and self._status == 429:
                    if headers.get("retry-after"):
                        limits["retry-after"] = headers["retry-after"]
                    fail_over_if_exhausted(ctx.pooled_account_id, self._status, limits)
        except Exception:
            logger.exception("could not record pool state after request %s", ctx.call.request_id)

    @staticmethod
    def failed_before_response(ctx, error):
        """Finalise the ledger row of a request upstream never answered (502/504)."""
        outcome = OUTCOME_TIMEOUT if isinstance(error, UpstreamTimeout) else OUTCOME_UNREACHABLE
        try:
            finish_claude_request(
                ctx.engine, ctx.call.request_id, outcome=outcome, status_code=error.status, model=ctx.model,
                stream=ctx.stream, usage=Usage(), error_type=error.code, upstream_request_id=None,
                ttfb_ms=None, duration_ms=ctx.call.elapsed_ms(), cost_micro_usd=0)
        except Exception:
            logger.exception("could not finalise ledger row %s", ctx.call.request_id)
