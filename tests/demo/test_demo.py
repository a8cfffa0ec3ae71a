"""`make demo` (issue 9): every kind of command it prints works against it, and Ctrl-C stops it all.

The demo (bench/demo.py) is started as a subprocess on test ports, with its own SQLite database
whatever TEST_DATABASE_URL says; its printed blocks are run as a newcomer would paste them.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from bench.demo_commands import READY

REPO_ROOT = Path(__file__).resolve().parents[2]
PORT_RANGE = range(19500, 19600)
EVENTS = 8  # text deltas per response: the demo starts the fake upstream with --events 8


def _port_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _two_free_ports():
    ports = [port for port in PORT_RANGE if _port_free(port)][:2]
    if len(ports) < 2:
        pytest.skip("no two free ports in 19500-19599")
    return ports


def _processes():
    """{pid: (ppid, pgid, state, cmdline)} for every process visible in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry)] = (int(fields[1]), int(fields[2]), fields[0], cmdline)
    return table


def _descendants(pid):
    table, found, queue = _processes(), {}, [pid]
    while queue:
        parent = queue.pop()
        for child, (ppid, pgid, _, cmdline) in table.items():
            if ppid == parent and child not in found:
                found[child] = (pgid, cmdline)
                queue.append(child)
    return found


class Demo:
    """A running bench/demo.py: its process, its printed text and the blocks in it by title."""

    def __init__(self, data_dir):
        self.app_port, self.upstream_port = _two_free_ports()
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [sys.executable, "bench/demo.py", "--port", str(self.app_port), "--upstream-port",
             str(self.upstream_port), "--data-dir", str(data_dir)],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
        self.lines, self.ready = [], threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(90) or self.process.poll() is not None:
            self.kill()
            raise AssertionError("the demo did not come up:\n" + self.text)
        self.blocks = {block.splitlines()[0][2:]: block for block in self.text.split("\n\n")
                       if block.startswith("# ")}

    def _read(self):
        for line in self.process.stdout:  # drained to the end, so the demo never blocks on its output
            self.lines.append(line)
            if line.strip() == READY:
                self.ready.set()
        self.ready.set()

    @property
    def text(self):
        return "".join(self.lines)

    def block(self, title_start):
        """The printed block whose title starts with `title_start`."""
        matches = [block for title, block in self.blocks.items() if title.startswith(title_start)]
        assert len(matches) == 1, f"{title_start!r} in {list(self.blocks)}"
        return matches[0]

    def run(self, title_start):
        """Run a printed block with bash from the checkout, as pasted; its stdout."""
        script = self.block(title_start)
        if not (REPO_ROOT / ".venv" / "bin" / "python").exists():  # a suite run from another virtualenv
            script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        result = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def field(self, label):
        """The value printed after `label:` (the dashboard's URL, email and password)."""
        return re.search(rf"^\s*{label}:\s+(\S+)$", self.text, re.MULTILINE).group(1)

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        for pgid in {pgid for pgid, _ in _descendants(self.process.pid).values()}:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    running = Demo(tmp_path_factory.mktemp("demo"))
    yield running
    running.kill()


def test_the_anthropic_proxy_curls_answer_a_message_and_a_full_stream(demo):
    message = json.loads(demo.run("Anthropic proxy (curl)"))
    assert message["type"] == "message" and message["model"] == "claude-sonnet-5"
    assert message["content"][0]["text"].startswith("t=")
    assert message["usage"]["output_tokens"] == EVENTS

    stream = demo.run("Anthropic proxy, streaming (curl)")
    events = re.findall(r"^event: (\S+)$", stream, re.MULTILINE)
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert events.count("content_block_delta") == EVENTS and "message_delta" in events


def test_the_openai_curls_answer_a_completion_and_a_stream_with_its_usage(demo):
    completion = json.loads(demo.run("OpenAI-compatible API (curl)"))
    assert completion["object"] == "chat.completion" and completion["model"] == "demo-model"
    assert completion["usage"]["completion_tokens"] == EVENTS

    stream = demo.run("OpenAI-compatible API, streaming (curl)")
    chunks = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: {")]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == EVENTS
    assert ": x-hep-cost-usd: " in stream and stream.rstrip().endswith("data: [DONE]")


def test_the_anthropic_sdk_snippet_gets_a_message_and_a_stream(demo):
    out = demo.run("anthropic SDK")
    assert re.search(r"^message: (t=\d+ ){%d}$" % EVENTS, out, re.MULTILINE), out
    assert re.search(r"^usage: \d+ in, %d out$" % EVENTS, out, re.MULTILINE), out
    assert re.search(r"^stream: (t=\d+ ){%d}$" % EVENTS, out, re.MULTILINE), out


def test_the_openai_sdk_snippet_lists_the_model_and_gets_a_reply_and_a_stream(demo):
    out = demo.run("openai SDK")
    assert "models: ['demo-model']\n" in out
    assert re.search(r"^reply: (t=\d+ ){%d}$" % EVENTS, out, re.MULTILINE), out
    assert re.search(r"^usage: \d+ in, %d out$" % EVENTS, out, re.MULTILINE), out
    assert re.search(r"^stream: (t=\d+ ){%d}$" % EVENTS, out, re.MULTILINE), out


def test_claude_codes_environment_drives_the_anthropic_sdk_and_passes_the_startup_probe(demo):
    block = demo.block("Claude Code")
    exported = dict(re.findall(r"^export (\w+)=(\S+)$", block, re.MULTILINE))
    assert set(exported) == {"ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"}
    assert exported["ANTHROPIC_BASE_URL"].endswith("/anthropic/" + exported["ANTHROPIC_AUTH_TOKEN"])

    # Claude Code's start-up probe, with the bearer it sends.
    probe = requests.head(exported["ANTHROPIC_BASE_URL"],
                          headers={"Authorization": f"Bearer {exported['ANTHROPIC_AUTH_TOKEN']}"}, timeout=10)
    assert probe.status_code == 200
    # The SDK configured by nothing but that environment, as in a shell after the exports.
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANTHROPIC_")}
    script = ("import anthropic; m = anthropic.Anthropic(max_retries=0).messages.create(model='claude-sonnet-5', "
              "max_tokens=64, messages=[{'role': 'user', 'content': 'Hello'}]); print(m.usage.output_tokens)")
    result = subprocess.run([sys.executable, "-c", script], env={**env, **exported}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(EVENTS)


def test_the_usage_api_curl_shows_the_active_pooled_account(demo):
    usage = json.loads(demo.run("Usage API (curl)"))
    assert [(a["label"], a["active"], a["status"]) for a in usage["accounts"]] == [("demo-pool", True, "ok")]


def test_the_ccas_block_logs_in_and_lists_the_machine_and_the_pool(demo):
    out = demo.run("ccas CLI")
    assert "Logged in to http://127.0.0.1:%d as demo@example.com." % demo.app_port in out
    assert re.search(r"^\s+\d+\s+demo-laptop\s+pooled\s+active\s", out, re.MULTILINE), out
    assert re.search(r"^\*\s+\d+\s+demo-pool\s+ok\s", out, re.MULTILINE), out
    assert (demo.data_dir / "config" / "ccas" / "config.json").exists()


def test_the_dashboard_signs_in_with_the_printed_credentials(demo):
    url, email, password = demo.field("Dashboard"), demo.field("email"), demo.field("password")
    base = url.removesuffix("/dashboard/")
    with requests.Session() as session:
        csrf = session.get(f"{base}/api/v1/ai/csrf-token", timeout=10).json()["csrf_token"]
        signed_in = session.post(f"{base}/api/v1/ai/login", json={"email": email, "password": password},
                                 headers={"X-CSRFToken": csrf}, timeout=10)
        assert signed_in.status_code == 200, signed_in.text
        assert session.get(f"{base}/api/v1/ai/account", timeout=10).json()["email"] == email
        machines = session.get(f"{base}/api/v1/ai/machines", timeout=10).json()["machines"]
        assert [m["name"] for m in machines] == ["demo-laptop"]
        page = session.get(url, timeout=10)
        assert page.status_code == 200 and email in page.text


def test_ctrl_c_stops_every_process_it_started_and_frees_the_ports(demo):
    started = _descendants(demo.process.pid)
    commands = [cmdline for _, cmdline in started.values()]
    assert sum("gunicorn -c gunicorn.conf.py wsgi:app" in c for c in commands) >= 2, commands  # master + worker
    assert any("bench/fake_upstream.py" in c for c in commands), commands

    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    assert "demo stopped." in demo.text

    groups = {pgid for pgid, _ in started.values()}
    deadline = time.monotonic() + 10
    while True:
        left = {pid: row for pid, row in _processes().items()
                if (pid in started or row[1] in groups) and row[2] != "Z"}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert left == {}
    assert _port_free(demo.app_port) and _port_free(demo.upstream_port)
