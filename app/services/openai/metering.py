"""Reading usage out of chat completions and putting the client's model id back, cheaply.

Streams are relayed event by event: an event goes out as soon as its terminating blank line
has arrived. Only a few events are parsed as JSON (the first, which tells us how the upstream
spells its model, usage chunks and error events); the others are searched and rewritten as
bytes, so a chunk costs a few substring searches on the hot path.
"""
import json

from app.services.openai.errors import error_event, error_object, normalize_error
from app.services.quota.pricing import Usage

DONE_EVENT = b"data: [DONE]\n\n"


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def usage_from(payload):
    """The Usage of a completion or usage chunk, or None when it carries none."""
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if not isinstance(usage, dict):
        return None
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return Usage(prompt_tokens=_int(usage.get("prompt_tokens")), cached_tokens=cached,
                 completion_tokens=_int(usage.get("completion_tokens")))


def generated_bytes(payload):
    """UTF-8 bytes of the text a non-stream completion generated (content, reasoning, tool arguments)."""
    total = 0
    for choice in payload.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        for field in ("content", "reasoning", "reasoning_content"):
            if isinstance(message.get(field), str):
                total += len(message[field].encode())
        for call in message.get("tool_calls") or ():
            arguments = (call.get("function") or {}).get("arguments") if isinstance(call, dict) else None
            if isinstance(arguments, str):
                total += len(arguments.encode())
    return total


class ModelRewriter:
    """Replaces the upstream's model name with the client's id in JSON bytes.

    The upstream's spelling is learnt from one parsed payload; if it cannot be found verbatim
    in the bytes (unusual escaping), `rewrite` falls back to parsing and re-serialising.
    """

    __slots__ = ("client_model", "pattern", "replacement", "reparse")

    def __init__(self, client_model, payload, data):
        self.client_model = client_model
        self.pattern = self.replacement = None
        self.reparse = False
        upstream = payload.get("model") if isinstance(payload, dict) else None
        if not isinstance(upstream, str) or upstream == client_model:
            return
        value, wanted = json.dumps(upstream).encode(), json.dumps(client_model).encode()
        for key in (b'"model":', b'"model": '):
            if key + value in data:
                self.pattern, self.replacement = key + value, key + wanted
                return
        self.reparse = True

    def rewrite(self, data):
        """`data` (one JSON document) with the client's model id."""
        if self.pattern is not None:
            return data.replace(self.pattern, self.replacement)
        if not self.reparse:
            return data
        payload = _loads(data)
        if not isinstance(payload, dict) or "model" not in payload:
            return data
        payload["model"] = self.client_model
        return json.dumps(payload, separators=(",", ":")).encode()


def rewrite_completion(body, payload, client_model):
    """A non-stream completion body with the client's model id, otherwise byte for byte."""
    return ModelRewriter(client_model, payload, body).rewrite(body)


class StreamMeter:
    """Splits an upstream SSE stream into events, meters it and rewrites it for the client.

    `feed(bytes)` returns what to send on now. The upstream's `[DONE]` is held back (the relay
    sends its own after the cost line); an error event ends the stream. `usage` is the last
    usage seen (vLLM can repeat it cumulatively on every chunk); `generated_chunks` counts
    events carrying choices, for billing a stream cut off before its usage arrived.
    """

    __slots__ = ("client_model", "wants_usage", "_buffer", "_rewriter", "usage", "generated_chunks",
                 "done", "error", "upstream_id")

    def __init__(self, client_model, wants_usage):
        self.client_model = client_model
        self.wants_usage = wants_usage
        self._buffer = b""
        self._rewriter = None
        self.usage = None
        self.generated_chunks = 0
        self.done = False
        self.error = None
        self.upstream_id = None

    @property
    def finished(self):
        """True once the upstream said [DONE] or sent an error: nothing more is relayed."""
        return self.done or self.error is not None

    def feed(self, chunk):
        """Take bytes from the upstream; return the complete events to relay now."""
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            # SSE allows CR and CRLF line ends; one spelling keeps event splitting a single search.
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        out = []
        start = 0
        while not self.finished:
            end = buffer.find(b"\n\n", start)
            if end < 0:
                break
            event = self._event(buffer[start:end])
            if event is not None:
                out.append(event)
            start = end + 2
        self._buffer = b"" if self.finished else buffer[start:]
        return b"".join(out)

    def flush(self):
        """At the upstream's end of stream: an unterminated last event, relayed as it is."""
        rest, self._buffer = self._buffer.strip(b"\n"), b""
        if not rest or self.finished:
            return b""
        event = self._event(rest)
        return b"" if event is None else event

    def _data(self, event):
        if event.startswith(b"data:") and b"\n" not in event:
            data = event[5:]
        else:
            lines = [line[5:] for line in event.split(b"\n") if line.startswith(b"data:")]
            if not lines:
                return None
            return b"\n".join(line[1:] if line.startswith(b" ") else line for line in lines)
        return data[1:] if data.startswith(b" ") else data

    def _event(self, event):
        """One complete event (without its blank line): the bytes to relay, or None to drop it."""
        data = self._data(event)
        if data is None:
            # Comments and fields without data pass through, unless they are not even text (SSE is UTF-8).
            try:
                event.decode()
            except UnicodeDecodeError:
                return None
            return event + b"\n\n"
        if data.strip() == b"[DONE]":
            self.done = True
            return None
        if not data.lstrip().startswith(b"{"):
            # Upstreams send JSON objects and [DONE] only; anything else would break the client's decoder.
            self.error = error_object(502, "The model's upstream server sent an event that is not JSON.",
                                      code="bad_upstream_response")
            return error_event(self.error)
        payload = None
        if self._rewriter is None:
            payload = _loads(data)
            self._rewriter = ModelRewriter(self.client_model, payload, data)
            if isinstance(payload, dict) and isinstance(payload.get("id"), str):
                self.upstream_id = payload["id"]
        if b'"error"' in data:
            payload = payload if payload is not None else _loads(data)
            if isinstance(payload, dict) and (payload.get("error") or payload.get("object") == "error"):
                self.error = normalize_error(None, payload)
                return error_event(self.error)
        if b'"usage":{' in data or b'"usage": {' in data:
            payload = payload if payload is not None else _loads(data)
            usage = usage_from(payload)
            if usage is not None:
                self.usage = usage
                if not payload.get("choices") and not self.wants_usage:
                    return None
        if b'"choices":[]' not in data and b'"choices": []' not in data:
            self.generated_chunks += 1
        if self._rewriter.pattern is None and not self._rewriter.reparse:
            return event + b"\n\n"
        return b"data: " + self._rewriter.rewrite(data) + b"\n\n"


def _loads(data):
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
