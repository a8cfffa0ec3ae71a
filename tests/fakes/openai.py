"""A fake OpenAI-compatible upstream (vLLM-like) on 127.0.0.1, for the relay's tests.

A threaded HTTP/1.1 server that records every request and answers with a behaviour the test
sets on `fake.reply`: a JSON completion, vLLM-style errors in both shapes, non-JSON errors,
or an SSE stream written event by event with chunked encoding (final usage chunk when asked,
a mid-stream error, a stall, a close mid-stream, or a gate the test opens).
"""
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.http import Recorded, reset_connection

PROMPT_TOKENS, COMPLETION_TOKENS = 11, 7


def _dumps(payload):
    # vLLM serialises with pydantic: compact JSON, no spaces.
    return json.dumps(payload, separators=(",", ":")).encode()


def _usage(prompt_tokens, completion_tokens, cached_tokens):
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + completion_tokens,
             "completion_tokens": completion_tokens}
    if cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return usage


def completion(content="Hello there!", *, prompt_tokens=PROMPT_TOKENS, completion_tokens=COMPLETION_TOKENS,
               cached_tokens=None, usage=True, model=None, headers=None, spaced=False, delay=0.0):
    """A non-stream chat.completion echoing the requested model (vLLM does), after `delay` seconds."""
    def reply(handler, recorded):
        if delay:
            time.sleep(delay)
        payload = {"id": "chatcmpl-fake1", "object": "chat.completion", "created": 1700000000,
                   "model": model or recorded.json()["model"],
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                "logprobs": None, "finish_reason": "stop"}]}
        if usage:
            payload["usage"] = _usage(prompt_tokens, completion_tokens, cached_tokens)
        body = json.dumps(payload).encode() if spaced else _dumps(payload)
        handler.send_body(200, body, "application/json", headers)
    return reply


def error(status, payload, *, headers=None):
    """A JSON error body as given (vLLM nested, vLLM flat, OpenAI, FastAPI ...)."""
    def reply(handler, recorded):
        handler.send_body(status, _dumps(payload), "application/json", headers)
    return reply


def raw(status, body, content_type="text/html"):
    """Any bytes, e.g. a proxy's HTML error page."""
    def reply(handler, recorded):
        handler.send_body(status, body, content_type)
    return reply


def hang():
    """Never answer (until the fake stops): the proxy's read timeout must fire."""
    def reply(handler, recorded):
        handler.fake.stopping.wait(30)
        handler.abort()
    return reply


def vllm_error(status, message, *, flat=False):
    """vLLM's error body: flat before 0.10.1, nested after; `type` an exception name, `code` an int."""
    names = {400: "BadRequestError", 404: "NotFoundError", 500: "InternalServerError"}
    inner = {"message": message, "type": names.get(status, "InternalServerError"), "param": None, "code": status}
    return error(status, {"object": "error", **inner} if flat else {"error": inner})


def stream(pieces=("Hel", "lo", "!"), *, prompt_tokens=PROMPT_TOKENS, completion_tokens=COMPLETION_TOKENS,
           cached_tokens=None, error_after=None, stall_after=None, close_after=None, gate_after=None,
           reset_after=None, interval=0.0, model=None, done=True):
    """An SSE stream like vLLM's: a role chunk, one chunk per piece, a finish chunk, the usage
    chunk only when the request asked for it, then [DONE]. The *_after options act after that
    many events: send a mid-stream error, stall until the fake stops, close the connection,
    reset it (TCP RST), or wait until `fake.gate` is set (or the proxy goes away; a gate is
    waited for before a close or reset at the same event)."""
    def reply(handler, recorded):
        request = recorded.json()
        include_usage = (request.get("stream_options") or {}).get("include_usage") is True
        name = model or request["model"]

        def chunk(delta, finish=None):
            payload = {"id": "chatcmpl-fake2", "object": "chat.completion.chunk", "created": 1700000000,
                       "model": name, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                   "finish_reason": finish}]}
            if include_usage:
                payload["usage"] = None
            return b"data: " + _dumps(payload) + b"\n\n"

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in pieces]
        events.append(chunk({}, "stop"))
        if include_usage:
            events.append(b"data: " + _dumps({
                "id": "chatcmpl-fake2", "object": "chat.completion.chunk", "created": 1700000000, "model": name,
                "choices": [], "usage": _usage(prompt_tokens, completion_tokens, cached_tokens)}) + b"\n\n")
        if done:
            events.append(b"data: [DONE]\n\n")
        handler.start_chunked(200, "text/event-stream; charset=utf-8")
        for sent, event in enumerate(events):
            if sent == error_after:
                handler.write_chunk(b'data: {"error":{"message":"engine died","type":"InternalServerError",'
                                    b'"param":null,"code":500}}\n\n')
                handler.write_chunk(b"data: [DONE]\n\n")
                break
            if sent == stall_after:
                handler.fake.stopping.wait(30)
                return handler.abort()
            if sent == gate_after and not handler.wait_for_gate():
                return None
            if sent == close_after:
                return handler.abort()
            if sent == reset_after:
                return handler.reset()
            if interval and sent:
                time.sleep(interval)
            if not handler.write_chunk(event):
                return
        handler.end_chunked()
    return reply


def raw_stream(events, *, end=True):
    """An event stream of exactly these byte strings (one HTTP chunk each): garbage, unterminated
    events, anything. `end=False` closes the connection instead of ending the chunked body."""
    def reply(handler, recorded):
        handler.start_chunked(200, "text/event-stream; charset=utf-8")
        for event in events:
            if not handler.write_chunk(event):
                return None
        return handler.end_chunked() if end else handler.abort()
    return reply


def auto(**options):
    """The default: a stream when the request asks for one, else a JSON completion."""
    as_stream, as_json = stream(**options), completion(**options)

    def reply(handler, recorded):
        (as_stream if recorded.json().get("stream") else as_json)(handler, recorded)
    return reply


class FakeOpenAI:
    """The fake upstream. `url` ends in /v1 like a catalogue entry; `requests` holds what it got."""

    def __init__(self):
        self.reply = auto()
        self.requests = []
        self.client_gone = threading.Event()   # a write to the proxy failed: it closed the stream
        self.events_written = 0
        self.connections = 0                   # TCP connections accepted: a pooled relay reuses one
        self.gate = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def record(self, recorded):
        with self._lock:
            self.requests.append(recorded)

    @property
    def last(self):
        return self.requests[-1]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None

    def log_message(self, *_args):
        pass

    def setup(self):
        super().setup()
        with self.fake._lock:
            self.fake.connections += 1
        # Headers and body go out in separate writes: without this, Nagle plus the client's
        # delayed ACK would add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        recorded = Recorded(self.command, self.path, dict(self.headers.items()), body)
        self.fake.record(recorded)
        if self.path.split("?")[0] != "/v1/chat/completions":
            return self.send_body(404, b'{"detail":"Not Found"}', "application/json")
        self.fake.reply(self, recorded)

    do_GET = do_POST

    def send_body(self, status, body, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, status, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", "upstream-req-1")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        """One HTTP chunk, flushed at once; False once the proxy has gone away."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except OSError:
            self.fake.client_gone.set()
            self.close_connection = True
            return False
        with self.fake._lock:
            self.fake.events_written += 1
        return True

    def end_chunked(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.fake.client_gone.set()

    def wait_for_gate(self):
        """Wait until `fake.gate` is set; False (and `fake.client_gone` set) if the proxy leaves first."""
        while not self.fake.gate.wait(0.05):
            readable, _, _ = select.select([self.connection], [], [], 0)
            try:
                gone = bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                gone = True
            if gone:
                self.fake.client_gone.set()
                self.close_connection = True
                return False
        return True

    def reset(self):
        """Reset the connection (TCP RST) in the middle of the chunked body."""
        self.close_connection = True
        reset_connection(self)

    def abort(self):
        """Drop the connection without finishing the chunked body."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
