"""A fast fake upstream for both API families, for benchmarks and `make demo` (asyncio, stdlib only).

    python bench/fake_upstream.py --host 127.0.0.1 --port P [--events 20] [--gap-ms 0] [--ttft-ms 0]

Loopback only. Prints one line `ready http://127.0.0.1:P` on stdout once listening; exits
cleanly on SIGINT/SIGTERM. HTTP/1.1 with keep-alive; streams use chunked encoding, one HTTP
chunk per SSE event, so a relay reading `iter_content(None)` sees every event as it is sent.

Configure the app against it with exactly these base URLs:

- Anthropic side: `ANTHROPIC_BASE_URL=http://127.0.0.1:P` (the proxy appends the client's
  path, e.g. `/v1/messages?beta=true`, `/v1/messages/count_tokens`, `/v1/models`).
- OpenAI side: the catalogue model's upstream URL `http://127.0.0.1:P/v1`
  (`flask --app wsgi models add NAME --upstream-url http://127.0.0.1:P/v1 ...`; the relay
  appends `/chat/completions`).

Routes (the query string is ignored):

- `POST /v1/messages`: Anthropic Messages, non-stream JSON, or with `"stream": true` the full
  event sequence: message_start (usage, output_tokens 1), content_block_start, ping,
  N content_block_delta, content_block_stop, message_delta (cumulative usage), message_stop.
- `POST /v1/messages/count_tokens`: `{"input_tokens": N}`.
- `GET /v1/models`: Anthropic's list shape when the request carries `anthropic-version`,
  OpenAI's otherwise.
- `POST /v1/chat/completions`: OpenAI chat completion, non-stream, or streamed as chunks
  (role chunk, N content chunks, finish chunk, a `choices: []` usage chunk when
  `stream_options.include_usage` is true) then `data: [DONE]`.

Timing: the first text delta of a stream, or a whole non-stream body, is written `--ttft-ms`
after the request was read; a stream then writes one text delta every `--gap-ms`. Each text
delta (Anthropic `text_delta.text`, OpenAI `delta.content`) is `"t=<ns> "`, `<ns>` being
`time.time_ns()` when the event was written, so a client on the same machine measures relay
lag as its receipt time minus `<ns>`.

Usage is deterministic from the request: input/prompt tokens = 8 + (characters of text in
`system` and `messages`) // 4; output/completion tokens = the number of text deltas
(events). Cache fields are zero. A request may override the defaults with the headers
`x-fake-events`, `x-fake-gap-ms`, `x-fake-ttft-ms` (the Anthropic proxy forwards them; the
OpenAI relay does not, so start a second fake for other OpenAI timings).
"""
import argparse
import asyncio
import itertools
import json
import signal
import sys
import time

MAX_BODY = 64 * 1024 * 1024
_ids = itertools.count(1)
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large"}
ANTHROPIC_MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001")


def _dumps(payload):
    return json.dumps(payload, separators=(",", ":")).encode()


def _text_chars(value):
    """Characters of text in a `system`/`messages`/content value (strings and text blocks)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_text_chars(item) for item in value)
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            return len(value["text"])
        return _text_chars(value.get("content"))
    return 0


def input_tokens_for(body):
    """The deterministic input token count for a parsed request body."""
    if not isinstance(body, dict):
        return 8
    return 8 + (_text_chars(body.get("system")) + _text_chars(body.get("messages"))) // 4


class Timing:
    """Events per response, the gap between them and the time to the first one (seconds)."""

    def __init__(self, events, gap, ttft):
        self.events, self.gap, self.ttft = events, gap, ttft

    def for_request(self, headers):
        def number(name, default, cast):
            try:
                return cast(headers[name]) if name in headers else default
            except ValueError:
                return default
        return Timing(max(0, number("x-fake-events", self.events, int)),
                      max(0.0, number("x-fake-gap-ms", self.gap * 1000, float) / 1000),
                      max(0.0, number("x-fake-ttft-ms", self.ttft * 1000, float) / 1000))


class Exchange:
    """One request on a connection, and the writer to answer it."""

    def __init__(self, writer, method, path, headers, body):
        self.writer, self.method, self.path, self.headers, self.raw = writer, method, path, headers, body
        self.keep_alive = headers.get("connection", "").lower() != "close"

    def json(self):
        try:
            return json.loads(self.raw or b"{}")
        except ValueError:
            return None

    def _head(self, status, content_type, extra):
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}", f"content-type: {content_type}"]
        lines += [f"{name}: {value}" for name, value in extra]
        if not self.keep_alive:
            lines.append("connection: close")
        return lines

    async def send(self, status, body, content_type="application/json", extra=()):
        head = self._head(status, content_type, extra) + [f"content-length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()

    async def start_stream(self, extra=()):
        head = self._head(200, "text/event-stream", extra) + ["cache-control: no-cache", "transfer-encoding: chunked"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

    async def chunk(self, data):
        self.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await self.writer.drain()

    async def end_stream(self):
        self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()


def _stamp():
    return f"t={time.time_ns()} "


async def _paced(timing):
    """Yield once per text delta, sleeping the configured gaps (ttft before the first)."""
    for index in range(timing.events):
        await asyncio.sleep(timing.ttft if index == 0 else timing.gap)
        yield index


# ---- Anthropic ---------------------------------------------------------------------------

def _anthropic_usage(input_tokens, output_tokens):
    return {"input_tokens": input_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output_tokens, "service_tier": "standard"}


def _sse(name, payload):
    return b"event: " + name.encode() + b"\ndata: " + _dumps(payload) + b"\n\n"


async def anthropic_messages(ex, timing):
    body = ex.json()
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return await _anthropic_error(ex, 400, "invalid_request_error", "model: field required")
    model, tokens_in = body["model"], input_tokens_for(body)
    message_id = f"msg_fake{next(_ids):012d}"
    extra = [("request-id", f"req_fake{next(_ids):012d}")]
    if body.get("stream") is not True:
        await asyncio.sleep(timing.ttft)
        text = "".join(_stamp() for _ in range(timing.events))
        payload = {"id": message_id, "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                   "usage": _anthropic_usage(tokens_in, timing.events)}
        return await ex.send(200, _dumps(payload), extra=extra)
    await ex.start_stream(extra)
    start = {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "content": [], "model": model,
        "stop_reason": None, "stop_sequence": None, "usage": _anthropic_usage(tokens_in, 1)}}
    await ex.chunk(_sse("message_start", start))
    await ex.chunk(_sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}}))
    await ex.chunk(_sse("ping", {"type": "ping"}))
    async for _ in _paced(timing):
        await ex.chunk(_sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "text_delta", "text": _stamp()}}))
    await ex.chunk(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    usage = {"input_tokens": tokens_in, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
             "output_tokens": timing.events}
    await ex.chunk(_sse("message_delta", {"type": "message_delta", "usage": usage,
                                          "delta": {"stop_reason": "end_turn", "stop_sequence": None}}))
    await ex.chunk(_sse("message_stop", {"type": "message_stop"}))
    await ex.end_stream()


async def anthropic_count_tokens(ex, timing):
    body = ex.json()
    if not isinstance(body, dict):
        return await _anthropic_error(ex, 400, "invalid_request_error", "body must be a JSON object")
    await ex.send(200, _dumps({"input_tokens": input_tokens_for(body)}))


async def _anthropic_error(ex, status, kind, message):
    await ex.send(status, _dumps({"type": "error", "error": {"type": kind, "message": message}}))


# ---- OpenAI ------------------------------------------------------------------------------

def _openai_usage(prompt_tokens, completion_tokens):
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens, "prompt_tokens_details": {"cached_tokens": 0}}


async def openai_chat(ex, timing):
    body = ex.json()
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        payload = {"error": {"message": "model: field required", "type": "BadRequestError", "param": None,
                             "code": 400}}
        return await ex.send(400, _dumps(payload))
    model, tokens_in = body["model"], input_tokens_for(body)
    completion_id, created = f"chatcmpl-fake{next(_ids):012d}", int(time.time())
    extra = [("x-request-id", completion_id)]
    if body.get("stream") is not True:
        await asyncio.sleep(timing.ttft)
        text = "".join(_stamp() for _ in range(timing.events))
        payload = {"id": completion_id, "object": "chat.completion", "created": created, "model": model,
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                "logprobs": None, "finish_reason": "stop"}],
                   "usage": _openai_usage(tokens_in, timing.events)}
        return await ex.send(200, _dumps(payload), extra=extra)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True

    def chunk(delta, finish=None, choices=True, usage=None):
        payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
                   if choices else []}
        if include_usage:
            payload["usage"] = usage
        return b"data: " + _dumps(payload) + b"\n\n"

    await ex.start_stream(extra)
    await ex.chunk(chunk({"role": "assistant", "content": ""}))
    async for _ in _paced(timing):
        await ex.chunk(chunk({"content": _stamp()}))
    await ex.chunk(chunk({}, finish="stop"))
    if include_usage:
        await ex.chunk(chunk(None, choices=False, usage=_openai_usage(tokens_in, timing.events)))
    await ex.chunk(b"data: [DONE]\n\n")
    await ex.end_stream()


async def list_models(ex, timing):
    if "anthropic-version" in ex.headers:
        data = [{"type": "model", "id": name, "display_name": name, "created_at": "2025-09-29T00:00:00Z"}
                for name in ANTHROPIC_MODELS]
        payload = {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
    else:
        payload = {"object": "list", "data": [{"id": "fake-model", "object": "model", "created": 1700000000,
                                               "owned_by": "fake"}]}
    await ex.send(200, _dumps(payload))


ROUTES = {
    ("POST", "/v1/messages"): anthropic_messages,
    ("POST", "/v1/messages/count_tokens"): anthropic_count_tokens,
    ("GET", "/v1/models"): list_models,
    ("POST", "/v1/chat/completions"): openai_chat,
}


# ---- HTTP/1.1 server ---------------------------------------------------------------------

async def _read_body(reader, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length") or 0)
    if length > MAX_BODY:
        raise ValueError("body too large")
    return await reader.readexactly(length) if length else b""


async def _serve(reader, writer, timing):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, _ = lines[0].split(" ", 2)
            except ValueError:
                return
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            try:
                body = await _read_body(reader, headers)
            except (ValueError, asyncio.IncompleteReadError, ConnectionError):
                return
            ex = Exchange(writer, method, target.split("?", 1)[0], headers, body)
            handler = ROUTES.get((method, ex.path))
            if handler is None:
                status = 405 if any(path == ex.path for _, path in ROUTES) else 404
                await ex.send(status, _dumps({"type": "error", "error": {
                    "type": "not_found_error", "message": f"{method} {ex.path} is not served by the fake"}}))
            else:
                await handler(ex, timing.for_request(headers))
            if not ex.keep_alive:
                return
    except (ConnectionError, asyncio.CancelledError):
        return
    finally:
        writer.close()


async def main_async(args):
    timing = Timing(args.events, args.gap_ms / 1000, args.ttft_ms / 1000)
    server = await asyncio.start_server(lambda r, w: _serve(r, w, timing), args.host, args.port,
                                        backlog=2048, limit=1024 * 1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"ready http://{args.host}:{args.port}", flush=True)
    async with server:
        await stop.wait()
        server.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=int, default=20, help="text deltas per response (default 20)")
    parser.add_argument("--gap-ms", type=float, default=0.0, help="milliseconds between text deltas")
    parser.add_argument("--ttft-ms", type=float, default=0.0, help="milliseconds before the first text delta")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the fake upstream listens on loopback only")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
