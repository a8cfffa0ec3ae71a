"""Admission-check benchmark: the cost of admitting (and settling) one OpenAI-side request with a
thousand ledger rows, then with ten million (SPEC §4: "the same whether a user has ten ledger
rows or ten million").

It creates a dedicated PostgreSQL database, migrates it, times `quota.admit_request` and
`quota.settle_request` for one user, bulk-loads history with generate_series (llm_requests and
hourly spend_buckets, the measured user included), times again, prints a Markdown table and
the plan of the window query, and drops the database.

    .venv/bin/python bench/admission.py [--base-url postgresql://postgres@127.0.0.1:5432]
        [--rows 10000000] [--iterations 2000] [--keep]
"""
import argparse
import os
import platform
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg2  # noqa: E402
from sqlalchemy import text  # noqa: E402

import config  # noqa: E402

DATABASE = "hepgg_bench_admission"
SMALL_ROWS = 1_000
# Hourly buckets per background user: a year of history each.
HOURS_PER_USER = 8_760
# The measured user's own history: five years of hourly buckets and 20% of the ledger.
OWN_HOURS = 5 * 8_760


def _admin(base_url, sql):
    connection = psycopg2.connect(base_url + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


def _app(url):
    from app import create_app

    class BenchConfig(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = config.normalize_database_url(url)

    return create_app(BenchConfig)


def _setup(app):
    from flask_migrate import upgrade

    from tests.factories import Factories
    with app.app_context():
        upgrade()
        factories = Factories()
        model = factories.model("bench-model", input_usd="0.1", output_usd="0.4")
        user = factories.user("bench@example.com", cap_usd="1000000")
        key = factories.llm_key(user, [model])
        return user.id, key.id, model.id


def _load(app, ids, tag, ledger_rows, bucket_rows, own_hours):
    """Bulk history: `ledger_rows` llm_requests (a fifth of them the measured user's) and
    `bucket_rows` spend buckets: the measured user's hours `own_hours` (first, last) ago, the rest
    a year of hours for each of as many made-up users as it takes."""
    from app.extensions import db
    user_id, key_id, model_id = ids
    own_buckets = own_hours[1] - own_hours[0] + 1
    users = max(1, -(-(bucket_rows - own_buckets) // HOURS_PER_USER))
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (email, password_hash, is_admin, cap_micro_usd, overage_enabled, "
            "overage_cap_micro_usd, hep_token_balance_micro, reserved_micro_usd, created_at) "
            "SELECT :tag || g || '@example.com', 'x', false, 20000000, false, 0, 0, 0, now() "
            "FROM generate_series(1, :users) g"), {"users": users, "tag": tag})
        first_bg = conn.execute(text("SELECT min(id) FROM users WHERE email LIKE :tag || '%'"), {"tag": tag}).scalar()
        conn.execute(text(
            "INSERT INTO spend_buckets (user_id, bucket_start, spend_micro_usd, overage_micro_usd, request_count) "
            "SELECT :user_id, date_trunc('hour', now() AT TIME ZONE 'utc') - make_interval(hours => g), 3, 0, 1 "
            "FROM generate_series(:first, :last) g"), {"user_id": user_id, "first": own_hours[0], "last": own_hours[1]})
        conn.execute(text(
            "INSERT INTO spend_buckets (user_id, bucket_start, spend_micro_usd, overage_micro_usd, request_count) "
            "SELECT :first + (g % :users), date_trunc('hour', now() AT TIME ZONE 'utc') "
            "  - make_interval(hours => g / :users), 3, 0, 1 "
            "FROM generate_series(0, :n - 1) g"),
            {"first": first_bg, "users": users, "n": max(0, bucket_rows - own_buckets)})
        conn.execute(text(
            "INSERT INTO llm_requests (request_id, user_id, llm_key_id, model_id, model_name, stream, status_code, "
            "outcome, prompt_tokens, cached_tokens, completion_tokens, cost_micro_usd, overage_micro_usd, "
            "hep_tokens_debited_micro, reserved_micro_usd, started_at, finished_at, duration_ms) "
            "SELECT :tag || g, CASE WHEN g % 5 = 0 THEN :user_id ELSE :first + (g % :users) END, "
            "  CASE WHEN g % 5 = 0 THEN :key_id END, :model_id, 'bench-model', false, 200, 'ok', 11, 0, 7, 4, 0, 0, "
            "  4, now() - make_interval(secs => g), now() - make_interval(secs => g), 20 "
            "FROM generate_series(1, :n) g"),
            {"user_id": user_id, "first": first_bg, "users": users, "key_id": key_id, "model_id": model_id,
             "n": ledger_rows, "tag": tag})
        conn.execute(text("ANALYZE"))
        counts = conn.execute(text(
            "SELECT (SELECT count(*) FROM llm_requests), (SELECT count(*) FROM spend_buckets), "
            "(SELECT count(*) FROM spend_buckets WHERE user_id = :u), "
            "(SELECT count(*) FROM llm_requests WHERE user_id = :u)"), {"u": user_id}).one()
    return counts


def _percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _measure(app, user_id, key_id, model_id, iterations, tag):
    from app.services.quota import admission as quota_admission
    from app.services.quota import settlement as quota_settlement
    admit_ms, settle_ms, cpu_ms = [], [], []
    with app.app_context():
        for i in range(iterations + 100):
            ticket = quota_admission.Ticket(request_id=f"{tag}_{i}_{time.time_ns()}", user_id=user_id, key_id=key_id,
                                  model_id=model_id, model_name="bench-model", stream=False, estimate=30)
            c0, t0 = time.process_time(), time.perf_counter()
            admission = quota_admission.admit_request(ticket)
            t1 = time.perf_counter()
            quota_settlement.settle_request(user_id, admission, quota_settlement.Result(outcome="ok", status_code=200, cost=4))
            t2, c2 = time.perf_counter(), time.process_time()
            if i >= 100:  # warm-up first
                admit_ms.append((t1 - t0) * 1000)
                settle_ms.append((t2 - t1) * 1000)
                cpu_ms.append((c2 - c0) * 1000)
    return {name: (statistics.median(values), _percentile(values, 0.95), _percentile(values, 0.99))
            for name, values in (("admit", admit_ms), ("settle", settle_ms), ("cpu", cpu_ms))}


def _plan(app, user_id):
    from app.extensions import db
    from app.models.base import utcnow
    from app.services.quota.window import window_start
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(text(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) SELECT COALESCE(SUM(spend_micro_usd), 0), "
            "COALESCE(SUM(overage_micro_usd), 0) FROM spend_buckets WHERE user_id = :u AND bucket_start >= :s"),
            {"u": user_id, "s": window_start(utcnow())}).all()
    return "\n".join("    " + row[0] for row in rows)


def _row(label, counts, timings):
    ledger, buckets, own_buckets, own_ledger = counts
    a, s, c = timings["admit"], timings["settle"], timings["cpu"]
    return (f"| {label} | {ledger:,} | {buckets:,} | {own_ledger:,} / {own_buckets:,} | "
            f"{a[0]:.2f} / {a[1]:.2f} / {a[2]:.2f} | {s[0]:.2f} / {s[1]:.2f} / {s[2]:.2f} | {c[0]:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark database in place")
    args = parser.parse_args()

    _admin(args.base_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _admin(args.base_url, f"CREATE DATABASE {DATABASE}")
    try:
        app = _app(f"{args.base_url}/{DATABASE}")
        ids = _setup(app)
        small = _load(app, ids, "small_", SMALL_ROWS, SMALL_ROWS, (1, SMALL_ROWS // 2))
        small_timings = _measure(app, *ids, args.iterations, "small")
        small_plan = _plan(app, ids[0])
        started = time.monotonic()
        big = _load(app, ids, "large_", args.rows - small[0], args.rows - small[1], (SMALL_ROWS // 2 + 1, OWN_HOURS))
        load_seconds = time.monotonic() - started
        big_timings = _measure(app, *ids, args.iterations, "large")
        big_plan = _plan(app, ids[0])
    finally:
        if not args.keep:
            _admin(args.base_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    print(f"python {platform.python_version()}, {args.iterations} admissions+settlements per size, "
          f"history loaded in {timedelta(seconds=int(load_seconds))}")
    print("| history | llm_requests | spend_buckets | measured user's ledger / buckets | "
          "admit ms p50 / p95 / p99 | settle ms p50 / p95 / p99 | CPU ms p50 (both) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(_row("small", small, small_timings))
    print(_row("large", big, big_timings))
    print("\nwindow query plan, small history:\n" + small_plan)
    print("\nwindow query plan, large history:\n" + big_plan)


if __name__ == "__main__":
    main()
