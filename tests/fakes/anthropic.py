"""A fake Anthropic API on 127.0.0.1: a real threaded HTTP/1.1 server that records every request.

Replies are objects: JsonReply (any status, optionally delayed or gzip-encoded) and SseReply
(an event stream written chunk by chunk with chunked transfer-encoding, each chunk flushed).
An SseReply can run in lock-step (the next chunk only after the test calls `advance()`),
stall, or drop the connection mid-stream, and it notices when the client side closes.
Every stream leaves a StreamLog in `fake.streams` saying how it ended.
"""
import gzip
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.fakes.http import reset_connection

MODEL = "claude-sonnet-5"


class Captured:
    """One request as the fake saw it: method, target (path + query), headers, body bytes."""

    def __init__(self, method, target, header_items, body):
        self.method = method
        self.target = target
        split = urlsplit(target)
        self.path = split.path
        self.query = split.query
        self.header_items = header_items
        self.headers = {name.lower(): value for name, value in header_items}
        self.body = body

    def json(self):
        return json.loads(self.body or b"null")


class StreamLog:
    """How one streamed reply went: chunks sent and how it ended."""

    def __init__(self):
        self.sent = 0
        self.ended = None  # complete | client_closed | dropped | reset | stalled | lockstep_timeout
        self.done = threading.Event()

    def end(self, how):
        if self.ended is None:
            self.ended = how
        self.done.set()

    def wait(self, timeout=5.0):
        """Wait until the stream ended; returns how it ended (None if it has not)."""
        self.done.wait(timeout)
        return self.ended


class JsonReply:
    """A complete (non-streamed) reply with Content-Length."""

    def __init__(self, status=200, body=None, headers=None, *, delay=0.0, gzip_body=False):
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
        self.headers = _merge_headers({"Content-Type": "application/json"}, headers)
        self.delay = delay
        self.gzip_body = gzip_body

    def write(self, handler, fake):
        if self.delay and fake.wait_or_client_gone(handler, self.delay):
            handler.close_connection = True
            return
        body = self.body
        headers = list(self.headers)
        if self.gzip_body:
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        handler.send_response(self.status)
        for name, value in _header_pairs(headers, fake):
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)


class SseReply:
    """An event stream: each item of `chunks` is written as one HTTP chunk and flushed.

    lockstep: after each chunk but the last, wait for fake.advance().
    interval: pause between chunks. stall_after=N: after N chunks go silent for stall_seconds.
    drop_after=N: after N chunks close the connection without ending the chunked body.
    reset_after=N: after N chunks reset the connection (TCP RST).
    """

    def __init__(self, chunks, status=200, headers=None, *, lockstep=False, interval=0.0,
                 stall_after=None, stall_seconds=5.0, drop_after=None, reset_after=None, lockstep_timeout=10.0):
        self.chunks = list(chunks)
        self.status = status
        self.headers = _merge_headers({"Content-Type": "text/event-stream; charset=utf-8",
                                       "Cache-Control": "no-cache"}, headers)
        self.lockstep = lockstep
        self.interval = interval
        self.stall_after = stall_after
        self.stall_seconds = stall_seconds
        self.drop_after = drop_after
        self.reset_after = reset_after
        self.lockstep_timeout = lockstep_timeout

    def write(self, handler, fake):
        log = StreamLog()
        fake.streams.append(log)
        handler.send_response(self.status)
        for name, value in _header_pairs(self.headers, fake):
            handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            self._write_chunks(handler, fake, log)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            log.end("client_closed")
            handler.close_connection = True
        finally:
            log.end(log.ended or "complete")

    def _write_chunks(self, handler, fake, log):
        for index, chunk in enumerate(self.chunks):
            if self.drop_after is not None and index == self.drop_after:
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                log.end("dropped")
                return
            if self.reset_after is not None and index == self.reset_after:
                reset_connection(handler)
                log.end("reset")
                return
            if self.stall_after is not None and index == self.stall_after:
                handler.close_connection = True
                gone = fake.wait_or_client_gone(handler, self.stall_seconds)
                log.end("client_closed" if gone else "stalled")
                return
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
            log.sent += 1
            last = index == len(self.chunks) - 1
            if self.lockstep and not last:
                if not fake.wait_for_step(handler, self.lockstep_timeout):
                    handler.close_connection = True
                    log.end("client_closed" if fake.client_gone(handler) else "lockstep_timeout")
                    return
            elif self.interval and not last and fake.wait_or_client_gone(handler, self.interval):
                handler.close_connection = True
                log.end("client_closed")
                return
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
        log.end("complete")


def _merge_headers(defaults, headers):
    """Header pairs: `headers` (a dict or a list of pairs) over `defaults`; a None value removes one."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    given = {name.lower() for name, _ in pairs}
    merged = [(name, value) for name, value in defaults.items() if name.lower() not in given] + pairs
    return [(name, value) for name, value in merged if value is not None]


def _header_pairs(pairs, fake):
    if not any(name.lower() == "request-id" for name, _ in pairs):
        pairs = pairs + [("request-id", fake.next_request_id())]
    return pairs


# --- event and message builders -------------------------------------------------------------

def sse_event(name, data):
    """One SSE event as Anthropic writes it."""
    return b"event: %s\ndata: %s\n\n" % (name.encode(), json.dumps(data, separators=(",", ":")).encode())


def usage_block(input_tokens=12, output_tokens=30, cache_creation=0, cache_read=0, cache_5m=None, cache_1h=0):
    """A Usage object; the 5m/1h split defaults to all of the cache writes being 5-minute ones."""
    return {"input_tokens": input_tokens, "cache_creation_input_tokens": cache_creation,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": cache_creation - cache_1h if cache_5m is None
                               else cache_5m, "ephemeral_1h_input_tokens": cache_1h},
            "output_tokens": output_tokens, "service_tier": "standard"}


def message_body(text="Hello!", model=MODEL, usage=None, msg_id="msg_01fake"):
    """A non-streamed Messages API response."""
    return {"id": msg_id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage or usage_block()}


def message_events(parts=("Hello", " world", "!"), model=MODEL, usage=None, msg_id="msg_01fake",
                   error=None):
    """The SSE events of one streamed message; `error` (a type) replaces the tail with an error event."""
    usage = usage or usage_block()
    start_usage = dict(usage, output_tokens=1)
    events = [sse_event("message_start", {"type": "message_start", "message": {
        "id": msg_id, "type": "message", "role": "assistant", "content": [], "model": model,
        "stop_reason": None, "stop_sequence": None, "usage": start_usage}}),
        sse_event("content_block_start", {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}}),
        sse_event("ping", {"type": "ping"})]
    for part in parts:
        events.append(sse_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                        "delta": {"type": "text_delta", "text": part}}))
    if error:
        events.append(sse_event("error", {"type": "error", "error": {"type": error, "message": "Overloaded"}}))
        return events
    delta_usage = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens",
                                         "cache_read_input_tokens", "output_tokens")}
    events += [sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}),
               sse_event("message_delta", {"type": "message_delta",
                                           "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                           "usage": delta_usage}),
               sse_event("message_stop", {"type": "message_stop"})]
    return events


def error_body(error_type, message):
    return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_upstream"}


def _default_reply(captured):
    if captured.method == "POST" and captured.path == "/v1/messages":
        body = captured.json() or {}
        model = body.get("model", MODEL)
        if body.get("stream"):
            return SseReply(message_events(model=model))
        return JsonReply(200, message_body(model=model))
    if captured.method == "POST" and captured.path == "/v1/messages/count_tokens":
        return JsonReply(200, {"input_tokens": 42})
    if captured.method == "GET" and captured.path == "/v1/models":
        return JsonReply(200, {"data": [{"type": "model", "id": MODEL, "display_name": "Claude Sonnet 5",
                                         "created_at": "2026-06-30T00:00:00Z"}],
                               "has_more": False, "first_id": MODEL, "last_id": MODEL})
    return JsonReply(404, error_body("not_found_error", f"no route {captured.method} {captured.path}"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # many streams may connect at once


class FakeAnthropic:
    """The fake server. `route(method, path, reply)` overrides a path (reply may be a callable
    taking the Captured request); `queue(method, path, *replies)` answers the next requests in
    order before falling back to the route or the default behaviour."""

    def __init__(self):
        self.requests = []
        self.streams = []
        self.routes = {}
        self.queues = {}
        self._lock = threading.Lock()
        self._steps = threading.Semaphore(0)
        self._ids = 0
        self.stopping = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def setup(self):
                super().setup()
                # Small writes go out at once, as a real API's do (no Nagle/delayed-ACK stalls).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def handle_one(self):
                body = fake._read_body(self)
                captured = Captured(self.command, self.path, list(self.headers.items()), body)
                with fake._lock:
                    fake.requests.append(captured)
                reply = fake._reply_for(captured)
                try:
                    reply.write(self, fake)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_one

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # -- configuration ---------------------------------------------------------------------

    def route(self, method, path, reply):
        self.routes[(method, path)] = reply

    def queue(self, method, path, *replies):
        with self._lock:
            self.queues.setdefault((method, path), []).extend(replies)

    def advance(self):
        """Lock-step mode: let the stream send its next chunk."""
        self._steps.release()

    def next_request_id(self):
        with self._lock:
            self._ids += 1
            return f"req_fake_{self._ids:04d}"

    def requests_to(self, path):
        return [r for r in list(self.requests) if r.path == path]

    # -- serving ---------------------------------------------------------------------------

    def _reply_for(self, captured):
        key = (captured.method, captured.path)
        with self._lock:
            queued = self.queues.get(key)
            if queued:
                reply = queued.pop(0)
            else:
                reply = self.routes.get(key) or _default_reply
        return reply(captured) if callable(reply) else reply

    @staticmethod
    def _read_body(handler):
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(handler.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    handler.rfile.readline()
                    return b"".join(parts)
                parts.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def client_gone(self, handler):
        """True when the client has closed its end of the connection."""
        try:
            readable, _, _ = select.select([handler.connection], [], [], 0)
            return bool(readable) and handler.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def wait_or_client_gone(self, handler, seconds):
        """Sleep up to `seconds`; True as soon as the client closes (or the fake stops)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                # select returns as soon as the client closes; the cap only bounds noticing stop().
                readable, _, _ = select.select([handler.connection], [], [],
                                               max(0.0, min(0.2, deadline - time.monotonic())))
            except OSError:
                return True
            if readable and self.client_gone(handler):
                return True
        return self.stopping.is_set()

    def wait_for_step(self, handler, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping.is_set():
            if self._steps.acquire(timeout=0.02):
                return True
            if self.client_gone(handler):
                return False
        return False

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def token_reply(access="sk-ant-oat01-new", refresh="sk-ant-ort01-new", expires_in=28800, delay=0.0):
    """A successful OAuth refresh-grant answer."""
    return JsonReply(200, {"access_token": access, "refresh_token": refresh, "expires_in": expires_in,
                           "token_type": "Bearer", "scope": "user:inference"}, delay=delay)
