"""Reading usage out of Anthropic responses as they pass through the relay (PROTOCOLS §1.5).

Streams: `message_start` gives the model and the input-side counts; every `message_delta`
overwrites output_tokens and any input/cache count it carries (they are cumulative); an
`error` event is noted. Non-streamed bodies: `model` and `usage`, or `error.type`.
"""
import json
import zlib

from app.services.upstream.sse import SSEEventSplitter, event_data

# Outcomes of a proxied request, as stored in claude_requests.outcome (see README).

# Bodies above this are relayed but not parsed (a message body is far smaller).
MAX_METERED_JSON_BYTES = 8 * 1024 * 1024
_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_INTERESTING_EVENTS = {b"message_start", b"message_delta", b"message_stop", b"error", b"message"}


class Usage:
    """Token counts of one request, named as in the ledger."""

    __slots__ = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_creation_5m_tokens",
                 "cache_creation_1h_tokens", "cache_read_input_tokens")

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, 0)

    def apply(self, usage, *, only_present):
        """Take the counts in an Anthropic usage object (skipping absent/null ones if asked)."""
        if not isinstance(usage, dict):
            return
        for name in _USAGE_FIELDS:
            value = usage.get(name)
            if _count(value):
                setattr(self, name, value)
            elif not only_present:
                setattr(self, name, 0)
        split = usage.get("cache_creation")
        if isinstance(split, dict):
            if _count(split.get("ephemeral_5m_input_tokens")):
                self.cache_creation_5m_tokens = split["ephemeral_5m_input_tokens"]
            if _count(split.get("ephemeral_1h_input_tokens")):
                self.cache_creation_1h_tokens = split["ephemeral_1h_input_tokens"]

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class ClaudeMeter:
    """Collects model, usage and errors from one response's bytes without changing them."""

    def __init__(self, model=None, *, content_type="", content_encoding="", read_body=True):
        self.model = model
        self.usage = Usage()
        self.error_type = None
        self.stopped = False  # a stream's message_stop arrived
        self.stream = "text/event-stream" in content_type
        self._splitter = SSEEventSplitter() if self.stream else None
        self._json = read_body and not self.stream and "json" in content_type
        self._parts = []
        self._size = 0
        encoding = content_encoding.strip().lower()
        # We ask upstream for identity; if it compresses anyway, read a decompressed copy.
        self._inflate = zlib.decompressobj(47) if encoding in ("gzip", "deflate") else None
        self._unreadable = encoding not in ("", "identity", "gzip", "deflate")

    def feed(self, chunk):
        """Look at one relayed chunk."""
        if self._unreadable or not (self._splitter or self._json):
            return
        if self._inflate is not None:
            try:
                chunk = self._inflate.decompress(chunk)
            except zlib.error:
                self._unreadable = True
                return
        if self._splitter is not None:
            self._on_events(self._splitter.feed(chunk))
        else:
            self._size += len(chunk)
            if self._size > MAX_METERED_JSON_BYTES:
                self._json = False
                self._parts = []
            else:
                self._parts.append(chunk)

    def _on_events(self, events):
        for name, block in events:
            if name in _INTERESTING_EVENTS:
                self._on_event(event_data(block))

    @property
    def readable(self):
        """Whether the bytes could be read (not compressed in an encoding we cannot undo)."""
        return not self._unreadable

    @property
    def at_event_boundary(self):
        """For streams: whether the bytes so far end exactly between events."""
        return self._splitter is None or self._splitter.at_boundary

    def _on_event(self, data):
        if not isinstance(data, dict):
            return
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message") if isinstance(data.get("message"), dict) else {}
            if isinstance(message.get("model"), str):
                self.model = message["model"]
            self.usage.apply(message.get("usage"), only_present=True)
        elif kind == "message_delta":
            self.usage.apply(data.get("usage"), only_present=True)
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            self._note_error(data)

    def _note_error(self, body):
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            self.error_type = error["type"][:64]
        elif self.error_type is None:
            self.error_type = "error"

    def finish(self):
        """End of body: the last held-back event, or the collected JSON body (usage, model, error)."""
        if self._splitter is not None and not self._unreadable:
            self._on_events(self._splitter.flush())
        if not self._json or not self._parts:
            return
        body = b"".join(self._parts)
        self._parts = []
        if self._inflate is not None:
            body += self._inflate.flush()
        try:
            data = json.loads(body)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if data.get("type") == "error":
            self._note_error(data)
            return
        if isinstance(data.get("model"), str) and data.get("type") == "message":
            self.model = data["model"]
        if isinstance(data.get("usage"), dict):
            self.usage.apply(data["usage"], only_present=False)
