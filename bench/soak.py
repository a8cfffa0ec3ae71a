"""Soak run: the app under gunicorn (as the Procfile serves it) through a bounded mixed load for a few
minutes, watching memory, errors and the ledger.

Mix (bench/soak_client.py): Anthropic proxy non-stream and stream, OpenAI-compatible non-stream
and stream, dashboard JSON reads and usage-API reads, from `--concurrency` keep-alive clients.
Upstreams are the suite's threaded fakes (bench/soak_upstreams.py) answering with random usage.

It reports, and fails (exit status 1) unless all hold:
- no client-visible error (a wrong status, or a stream that does not end as the protocol ends it);
- every ledger row finished `ok`, and the ledgers' token totals (and costs) equal the sums of
  what the upstreams reported, request by request; no reservation left; spend buckets = costs;
- memory flat after warm-up: the RSS of gunicorn's process tree (master + workers), sampled
  every `--sample-every` seconds, averages at most 5 % more over the final minute than over
  the first minute after `--warmup` seconds, and its least-squares slope over the samples
  after the warm-up is at most 2 MiB per minute.

    .venv/bin/python bench/soak.py [--seconds 300] [--concurrency 8] [--workers 2]
        [--postgres postgresql://postgres@127.0.0.1:5432]   # else a fresh SQLite file
"""
import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg2  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import config  # noqa: E402

PG_DATABASE = "hepgg_soak"
# "Flat after warm-up": the final minute's mean RSS at most 5 % above the first minute's after the
# warm-up, and a least-squares slope over all post-warm-up samples of at most 2 MiB per minute.
FLAT_TOLERANCE = 0.05
FLAT_SLOPE_MIB_PER_MIN = 2.0


def _process_tree(pid):
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                queue += [int(child) for child in handle.read().split()]
        except OSError:
            pass
    return pids


def _rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples the RSS (KiB) of a process tree every `every` seconds: (seconds since start, total, per pid)."""

    def __init__(self, pid, every):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples = []
        self.stop = threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        while True:
            per_pid = {pid: _rss_kib(pid) for pid in _process_tree(self.pid)}
            self.samples.append((time.monotonic() - self.started_at, sum(per_pid.values()), per_pid))
            if self.stop.wait(self.every):
                return


def _database_url(args, tmp):
    if not args.postgres:
        return f"sqlite:///{tmp}/soak.sqlite3"
    admin = psycopg2.connect(args.postgres + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {PG_DATABASE}")
    admin.close()
    return f"{args.postgres}/{PG_DATABASE}"


def _drop_database(args):
    if args.postgres and not args.keep:
        admin = psycopg2.connect(args.postgres + "/postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.close()


def _seed(app, openai_url):
    """Migrate, then one user with a machine on an active pooled API key, a model, a key and a usage token."""
    from flask_migrate import upgrade

    from bench.soak_client import Target
    from tests.factories import Factories
    with app.app_context():
        upgrade()
        factories = Factories()
        user = factories.user("soak@example.com", cap_usd="1000000")
        machine = factories.machine(user, "soak-box")
        factories.pooled_account("soak-key", api_key="sk-ant-api03-soak")
        model = factories.model("soak-model", upstream_url=openai_url, input_usd="0.1", output_usd="0.4")
        key = factories.llm_key(user, [model])
        return user.id, model.id, Target(base="", proxy_token=machine.token, llm_key=key.token,
                                         usage_token=factories.usage_token(user), email=user.email,
                                         password=user.password)


def _wait_until_finished(app, timeout=60):
    from app.extensions import db
    from app.models import ClaudeRequest, LlmRequest
    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            running = sum(db.session.scalar(select(func.count()).select_from(model).where(
                model.outcome == "in_progress")) for model in (ClaudeRequest, LlmRequest))
            db.session.rollback()
            if not running:
                return 0
            time.sleep(0.5)
        return running


def _ledger_checks(app, user_id, model_id, anthropic, openai):
    """(name, ledger value, expected value) for every total the run must get exactly right."""
    from app.extensions import db
    from app.models import ClaudeRequest, LlmModel, LlmRequest, SpendBucket, User
    from app.services.claude import prices as claude_prices
    from app.services.quota import pricing
    from app.services.claude.metering import Usage as ClaudeUsage
    from tests.fakes.anthropic import usage_block
    with app.app_context():
        def total(column):
            return int(db.session.scalar(select(func.coalesce(func.sum(column), 0))))

        def count(model):
            return db.session.scalar(select(func.count()).select_from(model))

        model = db.session.get(LlmModel, model_id)
        prices = pricing.Prices(model.input_micro_usd_per_mtok, model.cached_input_micro_usd_per_mtok,
                                model.output_micro_usd_per_mtok)
        claude_cost = 0
        for counts in anthropic.reported.usages:
            usage = ClaudeUsage()
            usage.apply(usage_block(input_tokens=counts["input_tokens"], output_tokens=counts["output_tokens"],
                                    cache_creation=counts["cache_creation_input_tokens"],
                                    cache_read=counts["cache_read_input_tokens"]), only_present=False)
            claude_cost += claude_prices.cost_micro_usd("claude-sonnet-5", usage)
        llm_cost = sum(pricing.cost_micro_usd(prices, pricing.Usage(prompt_tokens=u["prompt_tokens"],
                                                                    completion_tokens=u["completion_tokens"]))
                       for u in openai.reported.usages)
        not_ok = sum(db.session.scalar(select(func.count()).select_from(m).where(m.outcome != "ok"))
                     for m in (ClaudeRequest, LlmRequest))
        checks = [
            ("claude_requests rows", count(ClaudeRequest), len(anthropic.reported.usages)),
            ("claude input_tokens", total(ClaudeRequest.input_tokens), anthropic.reported.total("input_tokens")),
            ("claude output_tokens", total(ClaudeRequest.output_tokens), anthropic.reported.total("output_tokens")),
            ("claude cache_creation_input_tokens", total(ClaudeRequest.cache_creation_input_tokens),
             anthropic.reported.total("cache_creation_input_tokens")),
            ("claude cache_read_input_tokens", total(ClaudeRequest.cache_read_input_tokens),
             anthropic.reported.total("cache_read_input_tokens")),
            ("claude cost_micro_usd", total(ClaudeRequest.cost_micro_usd), claude_cost),
            ("llm_requests rows", count(LlmRequest), len(openai.reported.usages)),
            ("llm prompt_tokens", total(LlmRequest.prompt_tokens), openai.reported.total("prompt_tokens")),
            ("llm completion_tokens", total(LlmRequest.completion_tokens), openai.reported.total("completion_tokens")),
            ("llm cost_micro_usd", total(LlmRequest.cost_micro_usd), llm_cost),
            ("spend_buckets spend_micro_usd", total(SpendBucket.spend_micro_usd), llm_cost),
            ("users.reserved_micro_usd", db.session.get(User, user_id).reserved_micro_usd, 0),
            ("rows not ok", not_ok, 0),
        ]
        db.session.rollback()
        return checks


def _memory_verdict(samples, warmup):
    after = [(t, total) for t, total, _ in samples if t >= warmup]
    end = after[-1][0] if after else 0
    first = [total for t, total in after if t < warmup + 60]
    last = [total for t, total in after if t >= end - 60]
    if not first or not last:
        return None, None, None, False
    first_mean, last_mean = sum(first) / len(first), sum(last) / len(last)
    n = len(after)
    mean_t, mean_v = sum(t for t, _ in after) / n, sum(v for _, v in after) / n
    var = sum((t - mean_t) ** 2 for t, _ in after) or 1
    slope = sum((t - mean_t) * (v - mean_v) for t, v in after) / var * 60 / 1024  # MiB per minute
    flat = last_mean <= first_mean * (1 + FLAT_TOLERANCE) and slope <= FLAT_SLOPE_MIB_PER_MIN
    return first_mean, last_mean, slope, flat


def _report(args, started, load, tally, samples, checks, unfinished, log_errors):
    mib = 1024
    print(f"# Soak run {started:%Y-%m-%d %H:%M} UTC\n")
    print(f"- command: `{' '.join(sys.argv)}`")
    print(f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    print(f"- database: {'PostgreSQL' if args.postgres else 'SQLite'}; gunicorn workers: {args.workers}; "
          f"clients: {args.concurrency}; duration: {args.seconds} s")
    print(f"- load average at start / end: {load[0][0]:.2f} / {load[1][0]:.2f}\n")
    print("| scenario | calls | errors | retried after a connection reset |\n|---|---:|---:|---:|")
    for name in sorted(tally.calls):
        errors = sum(count for (scenario, _), count in tally.errors.items() if scenario == name)
        print(f"| {name} | {tally.calls[name]} | {errors} | {tally.retried[name]} |")
    total_calls = sum(tally.calls.values())
    print(f"| **all** | {total_calls} ({total_calls / args.seconds:.1f}/s) | {sum(tally.errors.values())} | "
          f"{sum(tally.retried.values())} |\n")
    for sample in tally.samples:
        print(f"- error: {sample}")
    print(f"- rows still in progress after the run: {unfinished}; error lines in the server log: {log_errors}\n")
    print("| ledger check | ledger | upstreams reported | equal |\n|---|---:|---:|---|")
    for name, got, expected in checks:
        print(f"| {name} | {got} | {expected} | {'yes' if got == expected else '**NO**'} |")
    first, last, slope, flat = _memory_verdict(samples, args.warmup)
    print("\nRSS of gunicorn's process tree (MiB), every sample:\n")
    print(" ".join(f"{t:.0f}s:{total / mib:.1f}" for t, total, _ in samples))
    if first is not None:
        print(f"\nafter {args.warmup} s warm-up: first-minute mean {first / mib:.1f} MiB, final-minute mean "
              f"{last / mib:.1f} MiB ({(last / first - 1) * 100:+.1f} %), slope {slope:+.2f} MiB/min -> "
              f"{'flat' if flat else 'NOT flat'} (rule: final minute at most {FLAT_TOLERANCE:.0%} above the first, "
              f"slope at most {FLAT_SLOPE_MIB_PER_MIN:g} MiB/min)")
        for label, (t, _, per_pid) in (("first post-warm-up", next(x for x in samples if x[0] >= args.warmup)),
                                        ("last", samples[-1])):
            print(f"- {label} sample ({t:.0f} s), RSS per process: "
                  + ", ".join(f"{pid}: {kib / mib:.1f} MiB" for pid, kib in sorted(per_pid.items())))
    return flat and not tally.errors and not unfinished and not log_errors and all(g == e for _, g, e in checks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--postgres", help="PostgreSQL base URL; the run gets a fresh database hepgg_soak")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    args = parser.parse_args()

    from app import create_app
    from bench.soak_upstreams import MeteredAnthropic, MeteredOpenAI
    from bench.soak_client import run_load
    from tests.servers import start_gunicorn

    with tempfile.TemporaryDirectory() as tmp:
        url = _database_url(args, tmp)

        class SoakConfig(config.Config):
            SQLALCHEMY_DATABASE_URI = config.normalize_database_url(url)
            SECRET_KEY = "soak-secret-key-not-for-production"
            PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

        app = create_app(SoakConfig)
        anthropic, openai = MeteredAnthropic().start(), MeteredOpenAI().start()
        user_id, model_id, target = _seed(app, openai.url)
        server = start_gunicorn(app, {"ANTHROPIC_BASE_URL": anthropic.url, "WEB_CONCURRENCY": args.workers,
                                      "LOG_LEVEL": "WARNING"})
        target.base = server.url
        started, load = datetime.now(timezone.utc), [os.getloadavg()]
        sampler = MemorySampler(server.process.pid, args.sample_every)
        sampler.start()
        try:
            tally = run_load(target, seconds=args.seconds, concurrency=args.concurrency)
            load.append(os.getloadavg())
            sampler.stop.set()
            sampler.join()
            unfinished = _wait_until_finished(app)
            checks = _ledger_checks(app, user_id, model_id, anthropic, openai)
        finally:
            server.stop()
            anthropic.stop()
            openai.stop()
        log = server.log_text()
        log_errors = sum(1 for line in log.splitlines()
                         if "Traceback" in line or '"level":"ERROR"' in line or "[ERROR]" in line)
        passed = _report(args, started, load, tally, sampler.samples, checks, unfinished, log_errors)
        _drop_database(args)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
