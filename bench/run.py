"""One-command benchmark (issue 9): the app vs. a direct upstream, interleaved, on SQLite and PostgreSQL.

It starts bench/fake_upstream.py, then for each database: creates it (a SQLite file, or a fresh
PostgreSQL database `hepgg_bench_run` that it drops at the end), migrates and seeds it through
the admin CLI (`flask --app wsgi ...`: user, machine, pooled API key, models, LLM key), starts the
app exactly as the Procfile serves it (`gunicorn -c gunicorn.conf.py wsgi:app`), and for every
scenario and client count runs the direct baseline and the app in alternating rounds. It samples
the CPU time and peak RSS of gunicorn's process tree, checks exactly one finished ledger row per
app request (with the token totals the clients saw), and optionally profiles the workers with
py-spy. Then 1,000 concurrent open streams (half Anthropic, half OpenAI) against one worker.
It prints markdown: the machine, the table, and a verdict per target.

    .venv/bin/python bench/run.py [--quick] [--databases sqlite,postgresql] [--scenarios a-ns,a-s,o-ns,o-s]
        [--clients 1,50] [--requests N] [--seconds S] [--rounds R] [--streams 1000] [--profile DIR]

Exit status 0 when every run completed without errors, incomplete responses or ledger
mismatches (timing targets are reported, not enforced: they depend on the machine).
"""
import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness, loadgen, report  # noqa: E402
from bench.loadgen import SCENARIOS, Target, request_body  # noqa: E402

ANTHROPIC_MODEL = "claude-sonnet-4-5-20250929"
EXPECTED_INPUT = 8 + len(loadgen.PROMPT) // 4  # bench/fake_upstream.py's deterministic count


class Pass:
    """One database: the running app, its tokens, and the targets of each scenario."""

    def __init__(self, args, database, app_url, machine_token, llm_key, fake_url, monitor):
        self.args, self.database, self.monitor = args, database, monitor
        self.app_port = int(app_url.rsplit(":", 1)[1])
        self.fake_port = int(fake_url.rsplit(":", 1)[1])
        self.machine_token, self.llm_key = machine_token, llm_key
        self.idle_cpu_per_second = 0.0

    def measure_idle(self, seconds=2.0):
        """CPU seconds per second the app's process tree spends with no request in flight."""
        before = self.monitor.cpu_seconds()
        time.sleep(seconds)
        self.idle_cpu_per_second = (self.monitor.cpu_seconds() - before) / seconds
        return self.idle_cpu_per_second

    def target(self, scenario, where, model="bench-model"):
        if scenario.family == "anthropic":
            body = request_body(scenario, ANTHROPIC_MODEL)
            headers = {"anthropic-version": "2023-06-01"}
            if where == "direct":
                headers["x-api-key"] = "sk-ant-api03-bench-not-a-real-key"
                return Target("127.0.0.1", self.fake_port, "/v1/messages", headers, body)
            return Target("127.0.0.1", self.app_port, f"/anthropic/{self.machine_token}/v1/messages", headers, body)
        body = request_body(scenario, model)
        if where == "direct":
            return Target("127.0.0.1", self.fake_port, "/v1/chat/completions",
                          {"authorization": "Bearer sk-bench-upstream"}, body)
        return Target("127.0.0.1", self.app_port, "/v1/chat/completions",
                      {"authorization": f"Bearer {self.llm_key}"}, body)


def _run(target, scenario, clients, requests, seconds, events):
    return loadgen.run(target, scenario, clients=clients, requests=requests, seconds=seconds, events=events)


def _start_profile(args, app, label):
    if not args.profile:
        return None
    os.makedirs(args.profile, exist_ok=True)
    path = os.path.join(args.profile, f"{label}.raw")
    command = [str(harness.BIN / "py-spy"), "record", "--pid", str(app.pid), "--subprocesses", "--nonblocking",
               "--rate", "500", "--format", "raw", "--output", path]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True), path


def _stop_profile(profiling):
    if profiling is None:
        return None
    popen, path = profiling
    popen.send_signal(2)  # SIGINT: py-spy writes its output and exits
    try:
        popen.wait(30)
    except subprocess.TimeoutExpired:
        popen.kill()
    return path


def measure(run, app, scenario, clients):
    """Direct and app rows for one scenario at one client count, interleaved in rounds."""
    args, events = run.args, run.args.events
    direct_t, app_t = run.target(scenario, "direct"), run.target(scenario, "app")
    mark = harness.ledger_mark(run.database, scenario.family)
    per_round_requests = max(clients, -(-args.requests // args.rounds))
    per_round_seconds = args.seconds / args.rounds
    # Warm-up: connections, caches and the first statements of each kind, not measured.
    warm = min(per_round_requests, 2 * clients)
    _run(direct_t, scenario, clients, warm, 5, events)
    sent = len(_run(app_t, scenario, clients, warm, 5, events).samples)
    direct, app_result = loadgen.Result([], 0.0), loadgen.Result([], 0.0)
    cpu, label = 0.0, f"{run.database.kind}-{scenario.key}-{clients}"
    run.monitor.start()
    for index in range(args.rounds):
        order = ("direct", "app") if index % 2 == 0 else ("app", "direct")
        for where in order:
            if where == "direct":
                direct += _run(direct_t, scenario, clients, per_round_requests, per_round_seconds, events)
                continue
            before = run.monitor.cpu_seconds()
            result = _run(app_t, scenario, clients, per_round_requests, per_round_seconds, events)
            cpu += run.monitor.cpu_seconds() - before
            app_result += result
    run.monitor.stop()
    profile_path = None
    if args.profile and clients >= 50 and not scenario.stream:
        # An extra, unmeasured round under py-spy: the sampler's own CPU must not skew the table.
        profiling = _start_profile(args, app, label)
        sent += len(_run(app_t, scenario, clients, per_round_requests, per_round_seconds, events).samples)
        profile_path = _stop_profile(profiling)
    sent += len(app_result.samples)
    rows, running, not_ok, total_in, total_out = harness.ledger_since(run.database, scenario.family, mark)
    ledger_ok = (rows == sent and running == 0 and not_ok == 0 and total_in == sent * EXPECTED_INPUT
                 and total_out == sent * events)
    ledger = f"{rows}/{sent} rows"
    if not ledger_ok:
        ledger += f", {running} running, {not_ok} not ok, tokens {total_in}/{total_out}"
    kind = run.database.kind
    direct_row = report.Row(kind, scenario, clients, "direct", direct.samples, direct.wall)
    app_row = report.Row(kind, scenario, clients, "app", app_result.samples, app_result.wall, cpu_seconds=cpu,
                         peak_rss=run.monitor.peak_total, ledger=ledger, ledger_ok=ledger_ok)
    if profile_path:
        app_row.notes.append(profile_path)
    return [direct_row, app_row]


def thousand_streams(args, database, env, machine_token, llm_key, slow_url):
    """`args.streams` concurrent open streams (half per family) on one gunicorn worker."""
    env = dict(env, WEB_CONCURRENCY="1", ANTHROPIC_BASE_URL=slow_url,
               PORT=str(harness.free_port(args.port_base + 10, args.port_base + 200)))
    app, app_url = harness.start_app(env)
    monitor = harness.TreeMonitor(app.pid, every=0.1)
    fake_port = int(slow_url.rsplit(":", 1)[1])
    run = Pass(args, database, app_url, machine_token, llm_key, f"http://127.0.0.1:{fake_port}", monitor)
    half = args.streams // 2
    plan = [(SCENARIOS["a-s"], run.target(SCENARIOS["a-s"], "app"), half),
            (SCENARIOS["o-s"], run.target(SCENARIOS["o-s"], "app", model="bench-slow"), args.streams - half)]
    marks = {s.family: harness.ledger_mark(database, s.family) for s, _, _ in plan}

    async def together():
        return await asyncio.gather(*(loadgen.run_async(target, scenario, clients=count, requests=count,
                                                        seconds=120, events=args.slow_events)
                                      for scenario, target, count in plan))
    try:
        monitor.start()
        results = asyncio.run(together())
        monitor.stop()
    finally:
        app.stop()
    app.remove_log()
    samples = [s for result in results for s in result.samples]
    ledger_rows, ledger_ok = 0, True
    for scenario, _, count in plan:
        rows, running, not_ok, total_in, total_out = harness.ledger_since(database, scenario.family,
                                                                          marks[scenario.family])
        ledger_rows += rows
        ledger_ok = ledger_ok and rows == count and not running and not not_ok
    return {"database": database.kind, "streams": args.streams, "errors": sum(1 for s in samples if s.error),
            "incomplete": sum(1 for s in samples if s.incomplete), "max_open": loadgen.max_open(samples),
            "peak_total": monitor.peak_total, "peak_worker": monitor.peak_worker,
            "ledger": f"{ledger_rows}/{args.streams} rows", "ledger_ok": ledger_ok,
            "wall": max(result.wall for result in results),
            "error_samples": [s.error or s.incomplete for s in samples if s.error or s.incomplete][:3]}


def one_database(args, kind, fake_url, slow_url, tmp):
    database = harness.Database(kind, args.pg_url, tmp)
    database.create()
    rows, thousand, idle = [], [], []
    try:
        port = harness.free_port(args.port_base + 10, args.port_base + 200)
        env = harness.app_env(database, port, fake_url, args.workers)
        machine_token, llm_key = harness.seed(env, fake_url + "/v1", slow_url + "/v1")
        app, app_url = harness.start_app(env)
        try:
            run = Pass(args, database, app_url, machine_token, llm_key, fake_url, harness.TreeMonitor(app.pid))
            for clients in args.clients:
                for key in args.scenarios:
                    rows += measure(run, app, SCENARIOS[key], clients)
                    print(f"  done: {kind} {SCENARIOS[key].title}, {clients} clients", file=sys.stderr, flush=True)
            # The tree's background work (heartbeats, the master's loop), measured once the app is
            # warm and idle, is not any request's cost: it is taken off each row's CPU time.
            idle.append(run.measure_idle())
            for row in rows:
                if row.cpu_seconds is not None:
                    row.cpu_seconds = max(0.0, row.cpu_seconds - idle[0] * row.wall)
        finally:
            app.stop()
        app.remove_log()
        if args.streams and (kind == args.databases[0] or not args.quick):
            thousand.append(thousand_streams(args, database, env, machine_token, llm_key, slow_url))
            print(f"  done: {kind} {args.streams} streams", file=sys.stderr, flush=True)
        version = database.server_version()
    finally:
        database.drop()
    return rows, thousand, f"{version} (idle app CPU {idle[0] * 1000:.1f} ms/s, subtracted)"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about 3 minutes)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--scenarios", default="a-ns,a-s,o-ns,o-s", help="any of a-ns, a-s, o-ns, o-s")
    parser.add_argument("--clients", default="1,50", help="client counts, comma-separated")
    parser.add_argument("--requests", type=int, help="at most this many requests per target and level")
    parser.add_argument("--seconds", type=float, help="at most this many seconds per target and level")
    parser.add_argument("--rounds", type=int, help="alternating rounds per level (2: direct, app, app, direct)")
    parser.add_argument("--events", type=int, default=20, help="text deltas per response")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="milliseconds between stream events")
    parser.add_argument("--streams", type=int, help="concurrent open streams on one worker (0: skip)")
    parser.add_argument("--slow-events", type=int, default=20)
    parser.add_argument("--slow-gap-ms", type=float, default=500.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn workers (Procfile default)")
    parser.add_argument("--port-base", type=int, default=19300)
    parser.add_argument("--profile", help="directory for py-spy profiles: an extra round of each 50-client "
                        "non-stream level, recorded and summarised")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    for name in args.scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name}")
    for name in args.databases:
        if name not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {name}")
    args.requests = args.requests or (300 if args.quick else 3000)
    args.seconds = args.seconds or (3.0 if args.quick else 12.0)
    args.rounds = args.rounds or 2
    args.streams = 1000 if args.streams is None else args.streams
    return args


def main(argv=None):
    args = parse_args(argv)
    started = datetime.now(timezone.utc)
    load_before = report.load_average()
    fake, fake_url = harness.start_fake(harness.free_port(args.port_base, args.port_base + 10),
                                        events=args.events, gap_ms=args.gap_ms)
    slow, slow_url = harness.start_fake(harness.free_port(int(fake_url.rsplit(":", 1)[1]) + 1, args.port_base + 10),
                                        events=args.slow_events, gap_ms=args.slow_gap_ms)
    rows, thousand, versions = [], [], []
    clock = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="hepgg-bench-") as tmp:
            for kind in args.databases:
                got, big, version = one_database(args, kind, fake_url, slow_url, tmp)
                rows, thousand = rows + got, thousand + big
                versions.append(version)
    finally:
        for proc in (fake, slow):
            proc.stop()
            proc.remove_log()
    elapsed = time.monotonic() - clock
    print(f"# Benchmark run {started:%Y-%m-%d %H:%M} UTC\n")
    print(f"- command: `{' '.join([os.path.relpath(sys.executable)] + sys.argv)}`")
    print(f"- machine: {report.machine_description()}; databases: {', '.join(versions)}")
    print(f"- load average (1/5/15 min) before: {load_before}, after: {report.load_average()}; "
          f"took {elapsed:.0f} s")
    print(f"- gunicorn workers: {args.workers}; events per response: {args.events}, stream gap {args.gap_ms:g} ms; "
          f"per level and target: ≤ {args.requests} requests, ≤ {args.seconds:g} s, {args.rounds} alternating rounds\n")
    print(report.table(rows))
    for t in thousand:
        print(f"\n{t['database']}: {t['streams']} concurrent streams on one worker ({args.slow_events} events, "
              f"{args.slow_gap_ms:g} ms apart): {t['max_open']} open at once, {t['errors']} errors, "
              f"{t['incomplete']} incomplete, peak RSS worker {t['peak_worker'] / report.MIB:.1f} MiB, "
              f"process tree {t['peak_total'] / report.MIB:.1f} MiB, ledger {t['ledger']}, {t['wall']:.1f} s"
              + (f"; first problems: {t['error_samples']}" if t["error_samples"] else ""))
    verdict_table, missed = report.verdicts(rows, thousand)
    print("\n## Targets\n")
    print(verdict_table)
    for r in rows:
        for note in r.notes:
            print(f"\n### Profile: {r.database} {r.scenario.title}, {r.clients} clients (py-spy, {note})\n")
            print("```\n" + report.profile_summary(note) + "\n```")
        problems = [s.error or s.incomplete for s in r.samples if s.error or s.incomplete][:3]
        if problems:
            print(f"\n- {r.database} {r.scenario.title} {r.clients} {r.target}: first problems: {problems}")
    broken = any(r.errors or r.incomplete or not r.ledger_ok for r in rows) or any(
        t["errors"] or t["incomplete"] or not t["ledger_ok"] for t in thousand)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
