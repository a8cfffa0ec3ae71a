"""A minimal threaded load client for the soak run (kept apart so a shared load generator can replace it).

`concurrency` threads, each with its own keep-alive requests.Session, run a weighted mix of calls
until the deadline. A call counts as an error unless it has the expected status and, for
streams, the body ends the way the protocol ends a complete stream. A call whose connection
fails is retried once (the keep-alive race every HTTP client meets) and counted as retried.
"""
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

CLAUDE_BODY = {"model": "claude-sonnet-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}]}
CHAT_BODY = {"model": "soak-model", "max_tokens": 256, "messages": [{"role": "user", "content": "Hi"}]}
TIMEOUT = 60

# (name, weight): the four proxied scenarios, plus dashboard JSON and usage-API reads.
MIX = [("anthropic", 20), ("anthropic_stream", 25), ("openai", 20), ("openai_stream", 25),
       ("dashboard_json", 5), ("usage_api", 5)]


@dataclass
class Target:
    """Where to send each kind of call, and the credentials to send."""

    base: str
    proxy_token: str
    llm_key: str
    usage_token: str
    email: str
    password: str


@dataclass
class Tally:
    """Calls per scenario, errors per (scenario, reason), with a few error samples."""

    calls: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    retried: Counter = field(default_factory=Counter)
    samples: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name, error=None):
        with self.lock:
            self.calls[name] += 1
            if error is not None:
                self.errors[(name, error.split(":")[0])] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{name}: {error}")


def _dashboard_session(target):
    session = requests.Session()
    csrf = session.get(target.base + "/api/v1/ai/csrf-token", timeout=TIMEOUT).json()["csrf_token"]
    response = session.post(target.base + "/api/v1/ai/login", json={"email": target.email, "password": target.password},
                            headers={"X-CSRFToken": csrf}, timeout=TIMEOUT)
    response.raise_for_status()
    return session


def _check(response, expected_end=None):
    if response.status_code != 200:
        return f"status {response.status_code}: {response.text[:200]}"
    if expected_end is not None and not response.content.endswith(expected_end):
        return f"incomplete stream: ...{response.content[-120:]!r}"
    return None


def _call(name, target, session, dashboard):
    proxy = f"{target.base}/anthropic/{target.proxy_token}/v1/messages"
    chat = f"{target.base}/v1/chat/completions"
    bearer = {"Authorization": f"Bearer {target.llm_key}"}
    if name == "anthropic":
        return _check(session.post(proxy, json=CLAUDE_BODY, timeout=TIMEOUT))
    if name == "anthropic_stream":
        return _check(session.post(proxy, json=dict(CLAUDE_BODY, stream=True), timeout=TIMEOUT),
                      b'data: {"type":"message_stop"}\n\n')
    if name == "openai":
        return _check(session.post(chat, json=CHAT_BODY, headers=bearer, timeout=TIMEOUT))
    if name == "openai_stream":
        return _check(session.post(chat, json=dict(CHAT_BODY, stream=True), headers=bearer, timeout=TIMEOUT),
                      b"data: [DONE]\n\n")
    if name == "dashboard_json":
        path = random.choice(["/api/v1/ai/account", "/api/v1/ai/machines", "/api/v1/ai/llm-keys",
                              "/api/v1/ai/accounts"])
        return _check(dashboard.get(target.base + path, timeout=TIMEOUT))
    return _check(session.get(target.base + "/usage", headers={"Authorization": f"Bearer {target.usage_token}"},
                              timeout=TIMEOUT))


def run_load(target, *, seconds, concurrency, seed=3):
    """Run the mix for `seconds` on `concurrency` threads; returns the Tally."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]

    def worker(index):
        chooser = random.Random(seed + index)
        session, dashboard = requests.Session(), _dashboard_session(target)
        while time.monotonic() < deadline:
            name = chooser.choices(names, weights)[0]
            try:
                try:
                    error = _call(name, target, session, dashboard)
                except requests.ConnectionError:
                    # HTTP keep-alive race: gunicorn closes a connection idle for KEEPALIVE seconds just as
                    # the client reuses it. Clients (the SDKs included) retry that once; counted apart.
                    with tally.lock:
                        tally.retried[name] += 1
                    error = _call(name, target, session, dashboard)
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
            tally.record(name, error)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally
