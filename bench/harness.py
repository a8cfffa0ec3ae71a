"""Processes and databases for bench/run.py: the fake upstream, the app under gunicorn as the
Procfile serves it, seeding through the admin CLI, the app's CPU and RSS, and the ledger."""
import os
import select
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import psycopg2

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_DATABASE = "hepgg_bench_run"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"


def free_port(start, end):
    """The first port in [start, end) nobody listens on (127.0.0.1)."""
    for port in range(start, end):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


class Proc:
    """A child process we started, stopped by its own pid only."""

    def __init__(self, popen, log_path, name):
        self.popen, self.log_path, self.name = popen, log_path, name

    @property
    def pid(self):
        return self.popen.pid

    def stop(self, grace=15.0):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def remove_log(self):
        """Delete the log file (kept when a run fails, for a look)."""
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def log_tail(self, lines=40):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _log_file(name):
    return tempfile.NamedTemporaryFile(prefix=f"hepgg-bench-{name}-", suffix=".log", delete=False)


def start_fake(port, *, events, gap_ms, ttft_ms=0.0, timeout=15.0):
    """bench/fake_upstream.py on 127.0.0.1:port, once it printed its ready line."""
    log = _log_file("fake")
    popen = subprocess.Popen([sys.executable, str(REPO / "bench" / "fake_upstream.py"), "--host", "127.0.0.1",
                              "--port", str(port), "--events", str(events), "--gap-ms", str(gap_ms),
                              "--ttft-ms", str(ttft_ms)], stdout=subprocess.PIPE, stderr=log, text=True)
    ready, _, _ = select.select([popen.stdout], [], [], timeout)
    line = popen.stdout.readline().strip() if ready else ""
    if not line.startswith("ready "):
        popen.kill()
        raise RuntimeError(f"fake upstream did not start on port {port}: {line!r}")
    return Proc(popen, log.name, "fake"), line.split(" ", 1)[1]


class Database:
    """A fresh SQLite file or PostgreSQL database for one pass, dropped at the end."""

    def __init__(self, kind, pg_base, tmp):
        self.kind, self.pg_base = kind, pg_base.rstrip("/")
        if kind == "sqlite":
            self.url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            self.url = f"{self.pg_base}/{PG_DATABASE}"

    def _admin(self, sql):
        connection = psycopg2.connect(self.pg_base + "/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.close()

    def create(self):
        if self.kind == "postgresql":
            self._admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            self._admin(f"CREATE DATABASE {PG_DATABASE}")

    def drop(self):
        if self.kind == "postgresql":
            self._admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")

    def query(self, sql):
        """Rows of one read-only statement (its own connection)."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.url[len("sqlite:///"):], timeout=30)
        else:
            connection = psycopg2.connect(self.url)
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            connection.close()

    def server_version(self):
        if self.kind == "sqlite":
            return "SQLite " + sqlite3.sqlite_version
        return "PostgreSQL " + self.query("SHOW server_version")[0][0].split(" ")[0]


def app_env(database, port, anthropic_url, workers):
    """The environment of `web:` for one pass (production settings, loopback only)."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY, "HOST": "127.0.0.1", "PORT": str(port),
                "WEB_CONCURRENCY": str(workers), "ANTHROPIC_BASE_URL": anthropic_url, "APP_ENV": "production",
                "PATH": str(BIN) + os.pathsep + env.get("PATH", "")})
    env.pop("FLASK_APP", None)
    return env


def flask_cli(env, *args):
    """`flask --app wsgi ARGS...`; returns the last line it printed (the new id or token)."""
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"flask {args[0]} {args[1] if len(args) > 1 else ''} failed:\n{result.stderr[-2000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def seed(env, openai_url, slow_openai_url):
    """Migrate, then through the admin CLI: a user, a machine, a pooled API key, two models and an LLM key."""
    email = "bench@example.com"
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "users", "create", email, "--password", "bench-password-1", "--cap-usd", "1000000")
    machine_token = flask_cli(env, "machines", "create", email, "--name", "bench-box")
    flask_cli(env, "pool", "add", "--label", "bench-key", "--api-key", "sk-ant-api03-bench-not-a-real-key")
    for name, url in (("bench-model", openai_url), ("bench-slow", slow_openai_url)):
        flask_cli(env, "models", "add", name, "--upstream-url", url, "--input-usd-per-mtok", "0.15",
                  "--output-usd-per-mtok", "0.6", "--user-allowed")
    llm_key = flask_cli(env, "keys", "create", email, "--model", "bench-model", "--model", "bench-slow",
                        "--label", "bench")
    return machine_token, llm_key


def procfile_web():
    """The `web:` command of the Procfile, as a list."""
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line[len("web:"):])
    raise RuntimeError("Procfile has no web: line")


def start_app(env, timeout=60.0):
    """The Procfile's `web:` under `env`, once /healthz answers 200."""
    log = _log_file("gunicorn")
    popen = subprocess.Popen(procfile_web(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc = Proc(popen, log.name, "gunicorn")
    url = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200 and len(worker_pids(proc)) >= int(env["WEB_CONCURRENCY"]):
                    return proc, url
        except OSError:
            pass
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError("gunicorn did not start:\n" + proc.log_tail())


def worker_pids(proc):
    """The gunicorn workers' pids (children of the master)."""
    try:
        return [child.pid for child in psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class TreeMonitor:
    """CPU seconds and peak RSS (bytes) of a process tree; RSS sampled every `every` seconds."""

    def __init__(self, pid, every=0.05):
        self.root, self.every = psutil.Process(pid), every
        self.peak_total = self.peak_worker = 0
        self._stop = threading.Event()
        self._thread = None

    def _procs(self):
        try:
            return [self.root] + self.root.children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self):
        total = 0.0
        for proc in self._procs():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def _sample(self):
        sizes = []
        for proc in self._procs():
            try:
                sizes.append((proc.pid, proc.memory_info().rss))
            except psutil.NoSuchProcess:
                pass
        self.peak_total = max(self.peak_total, sum(size for _, size in sizes))
        workers = [size for pid, size in sizes if pid != self.root.pid]
        self.peak_worker = max([self.peak_worker] + workers)

    def _run(self):
        while not self._stop.wait(self.every):
            self._sample()

    def start(self):
        self.peak_total = self.peak_worker = 0
        self._stop.clear()
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()


LEDGERS = {"anthropic": ("claude_requests", "input_tokens", "output_tokens"),
           "openai": ("llm_requests", "prompt_tokens", "completion_tokens")}


def ledger_mark(database, family):
    """The highest ledger id of a family so far."""
    table = LEDGERS[family][0]
    return database.query(f"SELECT coalesce(max(id), 0) FROM {table}")[0][0]


def ledger_since(database, family, after_id, wait=30.0):
    """(rows, rows still in_progress, rows not ok, input tokens, output tokens) after `after_id`,
    once nothing is in progress any more (or `wait` seconds passed)."""
    table, tokens_in, tokens_out = LEDGERS[family]
    sql = (f"SELECT count(*), sum(CASE WHEN outcome = 'in_progress' THEN 1 ELSE 0 END), "
           f"sum(CASE WHEN outcome <> 'ok' THEN 1 ELSE 0 END), coalesce(sum({tokens_in}), 0), "
           f"coalesce(sum({tokens_out}), 0) FROM {table} WHERE id > {int(after_id)}")
    deadline = time.monotonic() + wait
    while True:
        rows, running, not_ok, total_in, total_out = database.query(sql)[0]
        if not running or time.monotonic() > deadline:
            return rows, running or 0, not_ok or 0, int(total_in), int(total_out)
        time.sleep(0.2)
