"""`flask usage refresh`: one pass, the Procfile `worker:` loop and its clean stop, and two refresher
processes at once against PostgreSQL polling each account exactly once per interval."""
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Lease
from app.models.base import utcnow
from app.services.pool import accounts as pool
from tests.fakes.anthropic_oauth import FLAT_PAYLOAD
from tests.servers import REPO_ROOT, procfile_command


def oauth_account(factories, token):
    return factories.pooled_account(token, oauth_access_token=token, oauth_expires_at=utcnow() + timedelta(hours=6))


def test_one_pass_prints_what_it_did_per_account(cli_runner, factories, oauth_upstream):
    key = factories.pooled_account("team", api_key="sk-ant-api03-team")
    mine = oauth_account(factories, "sk-ant-oat01-cli")
    oauth_upstream.serve("sk-ant-oat01-cli", FLAT_PAYLOAD)
    result = cli_runner.invoke(args=["usage", "refresh", "--interval", "60"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"account {key.id} (team): skipped api_key_account",
        f"account {mine.id} (sk-ant-oat01-cli): polled ok",
        "usage refresh: polled 1 of 2 pooled accounts",
    ]
    again = cli_runner.invoke(args=["usage", "refresh", "--interval", "60"])
    assert f"account {mine.id} (sk-ant-oat01-cli): skipped polled_recently" in again.output
    assert len(oauth_upstream.usage_requests()) == 1


@pytest.mark.parametrize("interval", ["0", "-5", "soon"])
def test_the_interval_must_be_a_positive_number_of_seconds(cli_runner, interval):
    result = cli_runner.invoke(args=["usage", "refresh", "--interval", interval])
    assert result.exit_code == 2 and "Invalid value for '--interval'" in result.output


def worker_command(interval):
    """The Procfile's `worker:` command with another interval."""
    command = procfile_command("worker")
    assert command[:5] == ["flask", "--app", "wsgi", "usage", "refresh"] and "--loop" in command
    index = command.index("--interval")
    return command[:index + 1] + [str(interval)] + command[index + 2:]


def refresher_env(app, fake):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ENCRYPTION_KEY": "",
        "APP_ENV": "development",
        "ANTHROPIC_OAUTH_USAGE_URL": fake.usage_url,
        "ANTHROPIC_OAUTH_TOKEN_URL": fake.token_url,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    })
    return env


def start(app, fake, command):
    return subprocess.Popen(command, cwd=REPO_ROOT, env=refresher_env(app, fake), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError("the refresher exited early:\n" + "".join(process.communicate()))
        time.sleep(0.05)
    process.kill()
    raise AssertionError("timed out:\n" + "".join(process.communicate()))


@pytest.mark.parametrize("signum,interval,polls", [(signal.SIGTERM, 1, 2), (signal.SIGINT, 300, 1)],
                         ids=["sigterm-after-two-passes", "ctrl-c-while-sleeping"])
def test_the_procfile_worker_loops_and_stops_cleanly(app, factories, oauth_upstream, signum, interval, polls):
    oauth_account(factories, "sk-ant-oat01-worker")
    oauth_upstream.serve("sk-ant-oat01-worker", FLAT_PAYLOAD)
    process = start(app, oauth_upstream, worker_command(interval))
    wait_for(lambda: len(oauth_upstream.usage_requests()) >= polls, process)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert stdout.splitlines()[0] == f"usage refresher running every {interval}s"
    assert stdout.splitlines()[-1] == "usage refresher stopped"
    assert stdout.count("polled 1 of 1 pooled accounts") >= polls
    assert "Traceback" not in stderr and "sk-ant-oat01-worker" not in stderr


def is_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def waiting_on_locks():
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                "AND datname = current_database()"))


def run_two_refreshers(app, fake, interval):
    """Run two one-shot refreshers released at the same instant; each one's {account label: what it did}.

    Each pass starts by locking the pool state (to clear expired rate limits); holding that
    row lock until both processes wait on it lines them up on the same first account.
    """
    command = ["flask", "--app", "wsgi", "usage", "refresh", "--interval", str(interval)]
    with db.engine.connect() as blocker:
        blocker.execute(text("SELECT id FROM pool_state WHERE id = 1 FOR UPDATE"))
        processes = [start(app, fake, command) for _ in range(2)]
        deadline = time.monotonic() + 30
        while waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        blocker.rollback()
    reports = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        reports.append(dict(re.findall(r"^account \d+ \((.+)\): (.+)$", stdout, re.MULTILINE)))
    return reports


def polls_per_token(fake):
    return Counter(r.headers["Authorization"].removeprefix("Bearer ") for r in fake.usage_requests())


def test_two_refresher_processes_poll_each_account_once_per_interval(app, factories, oauth_upstream):
    if not is_postgresql(app):
        pytest.skip("several refresher processes share PostgreSQL in deployment; set TEST_DATABASE_URL to run this")
    interval = 3600
    tokens = [f"sk-ant-oat01-proc{n}" for n in range(4)]
    for token in tokens:
        oauth_account(factories, token)  # labelled with its token, which the fake serves
        oauth_upstream.serve(token, FLAT_PAYLOAD)
    oauth_upstream.delay = 0.2
    gate = oauth_upstream.hold_until_concurrent(2)

    # Both passes look at every account within one interval: each account is polled by exactly one.
    first, second = run_two_refreshers(app, oauth_upstream, interval)
    assert gate.held_concurrent_requests(), "the two processes never polled at the same time"
    assert polls_per_token(oauth_upstream) == {token: 1 for token in tokens}
    for token in tokens:
        assert sorted([first[token], second[token]]) in (
            ["polled ok", "skipped busy"], ["polled ok", "skipped polled_recently"]), (first, second)
    assert "polled ok" in first.values() and "polled ok" in second.values()

    # The interval passes: move the stored poll times and leases back by one interval, as the clock would.
    db.session.rollback()
    for account in pool.list_pooled_accounts():
        account.usage_polled_at -= timedelta(seconds=interval)
    for lease in db.session.query(Lease).all():
        lease.expires_at -= timedelta(seconds=interval)
    db.session.commit()
    run_two_refreshers(app, oauth_upstream, interval)
    assert polls_per_token(oauth_upstream) == {token: 2 for token in tokens}
    db.session.rollback()
    windows = [a.usage_snapshot["windows"]["five_hour"] for a in pool.list_pooled_accounts()]
    assert [(w["utilization_percent"], w["source"]) for w in windows] == [(19.0, "usage_endpoint")] * 4
