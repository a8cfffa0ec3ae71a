"""Splitting a server-sent-event byte stream into events, for reading a copy of relayed bytes.

The relay never changes what it forwards; it hands each chunk to an SSEEventSplitter as
well. Events end at a blank line (LF LF, CR LF CR LF, or CR CR, as the SDKs' decoders
accept); a chunk boundary may fall anywhere, including between a CR and its LF, so the
splitter holds incomplete events back. Data is only decoded for the events a caller asks
for, which keeps text deltas (most of a stream) cheap.
"""
import json


class SSEEventSplitter:
    """Feed raw chunks, get back complete events as (name, raw_block) pairs."""

    __slots__ = ("_buffer", "_carriage")

    def __init__(self):
        self._buffer = b""
        self._carriage = False  # normalising line endings (the stream used a CR)

    def feed(self, chunk):
        """Add a chunk; returns the list of events it completed (possibly empty)."""
        if not chunk:
            return []
        if self._carriage or b"\r" in chunk:
            self._carriage = True
            buffer = self._buffer + chunk
            # A trailing CR may be the first half of a CR LF: wait for the next chunk.
            held = b"\r" if buffer.endswith(b"\r") else b""
            if held:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + held
        else:
            buffer = self._buffer + chunk
        return self._split(buffer)

    def flush(self):
        """At the end of the stream: the event a held-back final CR completes, if any."""
        if not self._buffer.endswith(b"\r"):
            return []
        return self._split(self._buffer[:-1] + b"\n")

    def _split(self, buffer):
        if b"\n\n" not in buffer:
            self._buffer = buffer
            return []
        blocks = buffer.split(b"\n\n")
        self._buffer = blocks.pop()
        return [(event_name(block), block) for block in blocks if block.strip(b"\n")]

    @property
    def at_boundary(self):
        """True when everything fed so far ended exactly at an event boundary."""
        return not self._buffer.strip(b"\r\n")


def event_name(block):
    """The `event:` field of a raw event block (b"message" when it has none, as SSE says)."""
    if block.startswith(b"event:"):
        end = block.find(b"\n")
        return (block[6:end] if end != -1 else block[6:]).strip()
    for line in block.split(b"\n"):
        if line.startswith(b"event:"):
            return line[6:].strip()
    return b"message"


def event_data(block):
    """The joined `data:` lines of a raw event block, parsed as JSON (None if not JSON)."""
    parts = []
    for line in block.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            parts.append(value[1:] if value.startswith(b" ") else value)
    if not parts:
        return None
    try:
        return json.loads(b"\n".join(parts))
    except ValueError:
        return None
