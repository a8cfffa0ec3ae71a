"""Real servers for tests: the app in-process (werkzeug, threaded) or under gunicorn + gevent."""
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, timeout=20.0, process=None):
    """Poll `url` until it answers (any status); raise if `process` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


class LiveServer:
    """The app on a threaded werkzeug server on 127.0.0.1 (streams are written as they come)."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self):
        self._thread.start()
        wait_until_up(self.url + "/healthz")

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class GunicornServer:
    """A gunicorn master started from the Procfile's `web:` command; its log is kept in a file."""

    def __init__(self, process, url, log_path):
        self.process = process
        self.url = url
        self.log_path = log_path

    def log_text(self):
        return Path(self.log_path).read_text(errors="replace")

    def worker_pids(self):
        """Pids of the master's worker processes."""
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def stop(self):
        """SIGTERM the master, then make sure no worker outlives it: an orphaned worker would go on
        writing heartbeats to the shared test database and hold its lock against later tests."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The master ran in its own session, so its process group holds exactly its workers.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(self.process.pid):
            time.sleep(0.05)


def _group_alive(pgid):
    """Whether any process (zombies aside) is left in session `pgid` (the master's own)."""
    out = subprocess.run(["ps", "-o", "stat=", "-s", str(pgid)], capture_output=True, text=True)
    return any(not stat.startswith("Z") for stat in out.stdout.split())


def procfile_command(role):
    """The command line of a Procfile role, split into argv."""
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == role:
            return command.split()
    raise KeyError(role)


def start_gunicorn(app, env_overrides=None, timeout=30.0):
    """Start `web:` from the Procfile on the test database and wait until /healthz answers."""
    port = free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "APP_ENV": "development",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        # Workers left with an open connection at the end of a test need not get two minutes.
        "GRACEFUL_TIMEOUT": "5",
    })
    env.update({k: str(v) for k, v in (env_overrides or {}).items()})
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(procfile_command("web"), cwd=REPO_ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    server = GunicornServer(process, url, log.name)
    try:
        wait_until_up(url + "/healthz", timeout=timeout, process=process)
    except RuntimeError:
        server.stop()
        raise RuntimeError("gunicorn did not start:\n" + server.log_text()) from None
    return server
