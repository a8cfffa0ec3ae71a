"""Load generator: N concurrent keep-alive HTTP/1.1 clients (asyncio, stdlib only), bounded in
requests and seconds, for the four scenarios (Anthropic / OpenAI, non-stream / stream).

Every response is checked as a client would: status 200, the protocol's full event sequence
(Anthropic message_start with usage ... message_stop; OpenAI chunks, the usage chunk, [DONE]),
the expected number of text deltas and usage present. Text deltas from bench/fake_upstream.py
carry their emit time (`t=<ns> `), so each event's relay lag is its receipt time minus that.
"""
import asyncio
import json
import re
import time
from dataclasses import dataclass, field

STAMP = re.compile(rb"t=(\d{19}) ")
REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class Scenario:
    """One of the four request kinds."""

    key: str
    family: str  # "anthropic" | "openai"
    stream: bool

    @property
    def title(self):
        return f"{'Anthropic' if self.family == 'anthropic' else 'OpenAI'} {'stream' if self.stream else 'non-stream'}"


SCENARIOS = {s.key: s for s in (Scenario("a-ns", "anthropic", False), Scenario("a-s", "anthropic", True),
                                Scenario("o-ns", "openai", False), Scenario("o-s", "openai", True))}
PROMPT = ("Summarise the following paragraph in one sentence. " * 8).strip()


def request_body(scenario, model):
    """The JSON body a client sends for `scenario` (same bytes to the app and to the fake)."""
    body = {"model": model, "max_tokens": 256, "messages": [{"role": "user", "content": PROMPT}]}
    if scenario.stream:
        body["stream"] = True
        if scenario.family == "openai":
            body["stream_options"] = {"include_usage": True}
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class Target:
    """Where one scenario's requests go: host, port, path and headers."""

    host: str
    port: int
    path: str
    headers: dict
    body: bytes

    def request_bytes(self):
        lines = [f"POST {self.path} HTTP/1.1", f"host: {self.host}:{self.port}", "content-type: application/json",
                 f"content-length: {len(self.body)}"] + [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Sample:
    """One request's outcome."""

    started: float = 0.0
    ended: float = 0.0
    latency: float = 0.0
    ttfb: float = 0.0
    lags_ns: list = field(default_factory=list)
    error: str = ""
    incomplete: str = ""
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class Result:
    """Every sample of one run, and its wall time."""

    samples: list
    wall: float

    def __add__(self, other):
        return Result(self.samples + other.samples, self.wall + other.wall)


class _Connection:
    def __init__(self, target):
        self.target, self.reader, self.writer = target, None, None

    async def ensure(self):
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.target.host, self.target.port,
                                                                     limit=1024 * 1024)

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _headers(head):
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _body_chunks(reader, headers):
    """(receipt ns, bytes) per read of the response body."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return
            data = await reader.readexactly(size + 2)
            yield time.time_ns(), data[:-2]
    elif "content-length" in headers:
        data = await reader.readexactly(int(headers["content-length"]))
        yield time.time_ns(), data
    else:
        data = await reader.read()
        yield time.time_ns(), data


class _Checker:
    """Parses a copy of the body by protocol and tells what is missing at the end."""

    def __init__(self, scenario, events):
        self.scenario, self.events, self.buffer = scenario, events, b""
        self.deltas, self.seen, self.usage_in, self.usage_out = 0, set(), None, None

    def feed(self, data):
        self.buffer += data
        if not self.scenario.stream:
            return
        *complete, self.buffer = self.buffer.replace(b"\r\n", b"\n").split(b"\n\n")
        for event in complete:
            payload = b"\n".join(line[5:].strip() for line in event.split(b"\n") if line.startswith(b"data:"))
            if payload:
                self._event(payload)

    def _event(self, payload):
        if payload == b"[DONE]":
            self.seen.add("[DONE]")
            return
        data = json.loads(payload)
        if self.scenario.family == "anthropic":
            kind = data.get("type")
            self.seen.add(kind)
            if kind == "message_start":
                self.usage_in = data["message"]["usage"]["input_tokens"]
            elif kind == "content_block_delta":
                self.deltas += 1
            elif kind == "message_delta":
                self.usage_out = data["usage"]["output_tokens"]
        else:
            if data.get("error"):
                self.seen.add("error")
            for choice in data.get("choices") or ():
                if choice.get("delta", {}).get("content"):
                    self.deltas += 1
                if choice.get("finish_reason"):
                    self.seen.add("finish")
            if data.get("usage"):
                self.usage_in, self.usage_out = data["usage"]["prompt_tokens"], data["usage"]["completion_tokens"]

    def missing(self):
        """'' when the response is complete, else what is missing."""
        if not self.scenario.stream:
            try:
                data = json.loads(self.buffer)
                usage = data["usage"]
                if self.scenario.family == "anthropic":
                    self.usage_in, self.usage_out = usage["input_tokens"], usage["output_tokens"]
                    text = data["content"][0]["text"]
                else:
                    self.usage_in, self.usage_out = usage["prompt_tokens"], usage["completion_tokens"]
                    text = data["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                return "body without usage or content"
            self.deltas = len(STAMP.findall(text.encode()))
        elif self.scenario.family == "anthropic":
            absent = {"message_start", "content_block_start", "content_block_stop", "message_delta",
                      "message_stop"} - self.seen
            if absent:
                return "missing " + ",".join(sorted(absent))
        elif {"finish", "[DONE]"} - self.seen or "error" in self.seen:
            return "missing finish/[DONE] or error chunk"
        if self.usage_in is None or self.usage_out is None:
            return "no usage"
        if self.deltas != self.events or self.usage_out != self.events:
            return f"{self.deltas} text deltas / output usage {self.usage_out}, expected {self.events}"
        return ""


async def _one(conn, scenario, events, payload):
    started = time.perf_counter()
    sample = Sample(started=started)
    await conn.ensure()
    conn.writer.write(payload)
    head = await conn.reader.readuntil(b"\r\n\r\n")
    sample.ttfb = time.perf_counter() - started
    status, headers = _headers(head)
    checker = _Checker(scenario, events)
    async for received_ns, data in _body_chunks(conn.reader, headers):
        checker.feed(data)
        if scenario.stream:
            sample.lags_ns.extend(received_ns - int(stamp) for stamp in STAMP.findall(data))
    sample.ended = time.perf_counter()
    sample.latency = sample.ended - started
    if headers.get("connection", "").lower() == "close":
        conn.close()
    if status != 200:
        sample.error = f"HTTP {status}: {checker.buffer[:200]!r}"
        return sample
    sample.incomplete = checker.missing()
    sample.input_tokens, sample.output_tokens = checker.usage_in or 0, checker.usage_out or 0
    return sample


async def _client(target, scenario, events, budget, deadline, samples):
    conn, payload = _Connection(target), target.request_bytes()
    try:
        while budget[0] > 0 and time.monotonic() < deadline:
            budget[0] -= 1
            try:
                sample = await asyncio.wait_for(_one(conn, scenario, events, payload), REQUEST_TIMEOUT)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                    ValueError) as exc:
                conn.close()
                sample = Sample(error=f"{type(exc).__name__}: {exc}"[:200])
            samples.append(sample)
    finally:
        conn.close()


async def run_async(target, scenario, *, clients, requests, seconds, events):
    """Up to `requests` requests from `clients` concurrent clients, stopping after `seconds`."""
    samples, budget = [], [requests]
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_client(target, scenario, events, budget, deadline, samples) for _ in range(clients)))
    return Result(samples, time.perf_counter() - started)


def run(target, scenario, *, clients, requests, seconds, events):
    """Blocking wrapper of run_async."""
    return asyncio.run(run_async(target, scenario, clients=clients, requests=requests, seconds=seconds,
                                 events=events))


def max_open(samples):
    """The most requests that were in flight at the same moment."""
    edges = sorted([(s.started, 1) for s in samples if s.ended] + [(s.ended, -1) for s in samples if s.ended])
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def percentile(values, fraction):
    """Nearest-rank percentile of a list (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))]
