"""`make demo`: the gateway on a local fake upstream, seeded, with commands to paste that work against it.

    .venv/bin/python bench/demo.py [--host 127.0.0.1] [--port 8000] [--upstream-port N] [--data-dir instance/demo]

No Anthropic or model credentials are needed and nothing leaves the machine: the Anthropic
proxy and the OpenAI-compatible model both point at bench/fake_upstream.py on 127.0.0.1. Each
run wipes the data directory, migrates a fresh SQLite database there (the Procfile's
`release:`), seeds through the admin CLI (a demo admin with a password, a machine, a pooled
account with a fake API key, a model, an LLM key, a usage token), serves the app exactly as the
Procfile's `web:` does (gunicorn + gevent), prints ready-to-paste commands and waits. Ctrl-C
(SIGINT) or SIGTERM stops every process it started and exits 0. The servers' logs stay in the
data directory. The environment's DATABASE_URL and TEST_DATABASE_URL are ignored.
"""
import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.demo_commands import Seeded, render  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MARKER = ".hepgg-demo"  # only a directory carrying it (or an empty/new one) is ever wiped
EMAIL = "demo@example.com"
MODEL = "demo-model"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(Exception):
    """Raised in the main thread by SIGINT/SIGTERM."""


def _raise_stop(signum, frame):
    raise Stop(signum)


def _port_free(host, port):
    """Whether a listener could bind host:port now (SO_REUSEADDR, as gunicorn binds)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_data_dir(path):
    """Empty `path` for this run; refuse a non-empty directory that an earlier demo did not create."""
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        sys.exit(f"{path} is not empty and was not made by the demo; pick another --data-dir")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by bench/demo.py; wiped on each run\n")


def _procfile(role):
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == role:
            return command.split()
    raise KeyError(role)


def _die_with_parent():
    """Linux: the child gets SIGTERM if the demo itself is killed (SIGKILL) before it can clean up."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Services:
    """The processes the demo started, each the leader of its own process group."""

    def __init__(self):
        self.processes = []  # (name, Popen, log path)

    def start(self, name, argv, env, log_path):
        with open(log_path, "ab") as log:
            process = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=_die_with_parent)
        self.processes.append((name, process, log_path))
        return process

    def dead(self):
        """(name, exit status, log path) of the first process that exited on its own, else None."""
        for name, process, log_path in self.processes:
            if process.poll() is not None:
                return name, process.returncode, log_path
        return None

    def stop(self):
        """Newest first: SIGINT (gunicorn's quick shutdown), then SIGKILL for whatever of the group is left."""
        for _, process, _ in reversed(self.processes):
            _signal_group(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _signal_group(process.pid, signal.SIGKILL)  # workers, if any outlived their master
        self.processes = []


def _signal_group(pgid, signum):
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_for(check, what, process, log_path, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}; see {log_path}:\n"
                               + Path(log_path).read_text(errors="replace")[-3000:])
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s; see {log_path}")


def _healthy(url):
    def check():
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False
    return check


def _flask(env, *args):
    """Run an admin command (`flask --app wsgi ...`); its output's lines."""
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"flask {args[0]} {args[1] if len(args) > 1 else ''} failed:\n"
                           + result.stdout + result.stderr)
    return result.stdout.strip().splitlines()


def _environment(args, data_dir, upstream):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "ENCRYPTION_KEY", "SKILLS_HOST")}
    env.update({
        "DATABASE_URL": f"sqlite:///{data_dir / 'demo.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "APP_ENV": "development",  # session cookies over plain HTTP
        "HOST": args.host,
        "PORT": str(args.port),
        "ANTHROPIC_BASE_URL": upstream,
        "ANTHROPIC_OAUTH_TOKEN_URL": upstream + "/v1/oauth/token",
        "ANTHROPIC_OAUTH_USAGE_URL": upstream + "/api/oauth/usage",
        "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _seed(env, upstream, password):
    """Everything the printed commands use, created through the admin CLI."""
    _flask(env, "db", "upgrade")  # the Procfile's `release:`
    account_key = _flask(env, "users", "create", EMAIL, f"--password={password}", "--admin")[-2].split()[-1]
    _flask(env, "pool", "add", "--label", "demo-pool", "--api-key", "sk-ant-api03-demo-fake-key-never-sent-anywhere")
    _flask(env, "models", "add", MODEL, "--upstream-url", upstream + "/v1", "--upstream-model", "fake-model",
           "--input-usd-per-mtok", "0.05", "--output-usd-per-mtok", "0.2", "--user-allowed")
    proxy_token = _flask(env, "machines", "create", EMAIL, "--name", "demo-laptop")[-1]
    llm_key = _flask(env, "keys", "create", EMAIL, "--model", MODEL, "--label", "demo")[-1]
    usage_token = _flask(env, "usage-token", EMAIL)[-1]
    return Seeded(email=EMAIL, password=password, account_key=account_key, proxy_token=proxy_token,
                  llm_key=llm_key, usage_token=usage_token, model=MODEL)


def run(args):
    data_dir = Path(args.data_dir).resolve()
    upstream_port = args.upstream_port or _free_port()
    for host, port in ((args.host, args.port), ("127.0.0.1", upstream_port)):
        if not _port_free(host, port):
            sys.exit(f"port {port} on {host} is in use; choose another (make demo PORT=9000, or --upstream-port)")
    _fresh_data_dir(data_dir)
    upstream = f"http://127.0.0.1:{upstream_port}"
    env = _environment(args, data_dir, upstream)
    services = Services()
    try:
        print(f"starting the demo in {data_dir} ...", flush=True)
        log = data_dir / "fake_upstream.log"
        fake = services.start("fake upstream", [sys.executable, "bench/fake_upstream.py", "--port",
                                                str(upstream_port), "--events", "8", "--gap-ms", "40"], env, log)
        _wait_for(lambda: "ready http" in log.read_text(errors="replace"), "the fake upstream", fake, log)
        seeded = _seed(env, upstream, args.password or secrets.token_urlsafe(12))
        log = data_dir / "gunicorn.log"
        web = services.start("gunicorn", _procfile("web"), env, log)
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        base = f"http://{host}:{args.port}"
        _wait_for(_healthy(base + "/healthz"), "gunicorn", web, log)
        print(render(base, seeded, data_dir), flush=True)
        while True:
            dead = services.dead()
            if dead:
                name, status, log = dead
                print(f"{name} exited with status {status}; see {log}. Stopping the demo.", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except Stop:
        print("\nstopping the demo ...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"the demo could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        services.stop()
        print("demo stopped.", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="app interface (HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="app port (PORT)")
    parser.add_argument("--upstream-port", type=int, default=0, help="fake upstream port (default: a free one)")
    parser.add_argument("--data-dir", default=str(REPO_ROOT / "instance" / "demo"),
                        help="wiped on each run (default instance/demo)")
    parser.add_argument("--password", help="the demo user's dashboard password (default: random)")
    args = parser.parse_args(argv)
    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and Python would keep that.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    try:
        return run(args)
    except Stop:
        return 0


if __name__ == "__main__":
    sys.exit(main())
