"""Upstreams for the soak run: the suite's threaded fakes (tests/fakes), answering with random usage
and keeping the total of what they reported, so the ledger can be checked against it.

Anthropic: messages (streamed or not) with random input, output, cache-write and cache-read
counts. OpenAI-compatible: completions (streamed or not) with random prompt and completion counts.
"""
import random
import threading

from tests.fakes import openai as fake_openai
from tests.fakes.anthropic import MODEL, FakeAnthropic, JsonReply, SseReply, message_body, message_events, usage_block
from tests.fakes.openai import FakeOpenAI

PARTS = tuple(f"word{i} " for i in range(20))


class Reported:
    """What an upstream said it used, request by request (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.usages = []

    def add(self, usage):
        with self._lock:
            self.usages.append(usage)

    def total(self, field):
        with self._lock:
            return sum(usage[field] for usage in self.usages)


class MeteredAnthropic:
    """A FakeAnthropic whose /v1/messages answers carry random usage, recorded in `reported`."""

    def __init__(self, seed=1):
        self.fake = FakeAnthropic()
        self.reported = Reported()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.fake.route("POST", "/v1/messages", self._reply)

    @property
    def url(self):
        return self.fake.url

    def _reply(self, captured):
        with self._lock:
            counts = {"input_tokens": self._random.randint(1, 5000), "output_tokens": self._random.randint(1, 2000),
                      "cache_creation_input_tokens": self._random.randint(0, 3000),
                      "cache_read_input_tokens": self._random.randint(0, 20000)}
        usage = usage_block(input_tokens=counts["input_tokens"], output_tokens=counts["output_tokens"],
                            cache_creation=counts["cache_creation_input_tokens"],
                            cache_read=counts["cache_read_input_tokens"])
        self.reported.add(counts)
        if (captured.json() or {}).get("stream"):
            return SseReply(message_events(parts=PARTS, model=MODEL, usage=usage))
        return JsonReply(200, message_body(text="".join(PARTS), model=MODEL, usage=usage))

    def start(self):
        self.fake.start()
        return self

    def stop(self):
        self.fake.stop()


class MeteredOpenAI:
    """A FakeOpenAI whose completions carry random usage, recorded in `reported`."""

    def __init__(self, seed=2):
        self.fake = FakeOpenAI()
        self.reported = Reported()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.fake.reply = self._reply

    @property
    def url(self):
        return self.fake.url

    def _reply(self, handler, recorded):
        with self._lock:
            counts = {"prompt_tokens": self._random.randint(1, 8000),
                      "completion_tokens": self._random.randint(1, 2000)}
        self.reported.add(counts)
        if recorded.json().get("stream"):
            fake_openai.stream(pieces=PARTS, **counts)(handler, recorded)
        else:
            fake_openai.completion("".join(PARTS), **counts)(handler, recorded)

    def start(self):
        self.fake.start()
        return self

    def stop(self):
        self.fake.stop()
