"""The services behind the dashboard, without HTTP: reports, the chart, the login throttle, filters."""
from datetime import datetime, timedelta

import pytest

from app.dashboard.chart import _nice_ceiling, build_spend_chart
from app.dashboard.filters import hep, usd
from app.models import LoginThrottle
from app.services.accounts import login_throttle
from app.services import reports
from app.services.accounts import sign_in
from app.services.errors import RateLimited, Unauthenticated
from app.services.quota.window import window_start
from tests.dashboard.helpers import add_claude_request, add_spend

NOW = datetime(2026, 11, 25, 14, 30)


def test_machine_usage_counts_the_rolling_window_exactly(factories):
    user = factories.user()
    machine = factories.machine(user)
    start = window_start(NOW)
    add_claude_request(machine, input_tokens=1, cost_micro_usd=1, started_at=start)  # first counted moment
    add_claude_request(machine, input_tokens=10, cost_micro_usd=10, started_at=start - timedelta(seconds=1))
    add_claude_request(machine, input_tokens=100, cost_micro_usd=100, started_at=NOW)
    (usage,) = reports.machine_usage(user, NOW)
    assert (usage.requests, usage.tokens["input"], usage.cost_micro_usd) == (2, 101, 101)
    assert usage.last_seen_at == NOW
    assert reports.usage_of_machine(machine, NOW).requests == 2


def test_spend_by_day_covers_every_day_of_the_window_with_a_running_total(factories):
    user = factories.user()
    add_spend(user, 1_000_000, at=window_start(NOW))
    add_spend(user, 2_000_000, at=NOW - timedelta(days=2), overage_micro_usd=500_000)
    add_spend(user, 4_000_000, at=NOW - timedelta(days=2, hours=1))
    add_spend(user, 8_000_000, at=window_start(NOW) - timedelta(hours=1))  # just outside
    days = reports.spend_by_day(user, NOW)
    assert days[0].day == window_start(NOW).date() and days[-1].day == NOW.date()
    assert len(days) == 31
    assert days[0].spent_micro_usd == 1_000_000
    two_days_ago = next(d for d in days if d.day == (NOW - timedelta(days=2)).date())
    assert two_days_ago.spent_micro_usd == 6_000_000 and two_days_ago.overage_micro_usd == 500_000
    assert days[-1].cumulative_micro_usd == 7_000_000
    summary = reports.spend_summary(user, NOW)
    assert summary.spent_micro_usd == 7_000_000 and summary.remaining_micro_usd == 13_000_000


def test_the_chart_scales_to_the_cap_or_the_spend_whichever_is_larger(factories):
    user = factories.user()
    add_spend(user, 30_000_000, at=NOW - timedelta(days=1))  # over a $20 cap
    days = reports.spend_by_day(user, NOW)
    chart = build_spend_chart(days, 20_000_000)
    assert [t["text"] for t in chart.y_ticks] == ["$0", "$12.5", "$25", "$37.5", "$50"]
    plot_h = chart.plot_bottom - chart.plot_top
    assert chart.cap_y == pytest.approx(chart.plot_bottom - plot_h * 20 / 50)
    tallest = max(chart.bars, key=lambda b: b["height"])
    assert tallest["height"] == pytest.approx(plot_h * 30 / 50)
    last_point = chart.line_points.split()[-1]
    assert float(last_point.split(",")[1]) == pytest.approx(chart.plot_bottom - plot_h * 30 / 50)
    assert _nice_ceiling(0) == 1_000_000 and _nice_ceiling(3_000) == 10_000 and _nice_ceiling(20_000_000) == 20_000_000


def test_the_throttle_lock_expires_and_old_counters_are_forgotten(factories):
    user = factories.user()
    limit = login_throttle.LIMITS[login_throttle.SCOPE_ACCOUNT]
    for _ in range(limit.max_failures):
        with pytest.raises(Unauthenticated):
            sign_in.sign_in(user.email, "wrong-password", "10.1.1.1", now=NOW)
    with pytest.raises(RateLimited) as locked:
        sign_in.sign_in(user.email, user.password, "10.1.1.2", now=NOW + limit.lockout - timedelta(seconds=1))
    assert locked.value.headers == {"Retry-After": "1"}
    assert sign_in.sign_in(user.email, user.password, "10.1.1.2", now=NOW + limit.lockout).id == user.id
    # Rows a day old and not locked are purged by the next failure.
    login_throttle.record_login_failure("someone@example.com", "10.2.2.2", now=NOW + timedelta(days=2))
    assert LoginThrottle.query.count() == 2  # only the new account and address rows


def test_failures_spread_beyond_the_window_never_lock(factories):
    user = factories.user()
    limit = login_throttle.LIMITS[login_throttle.SCOPE_ACCOUNT]
    moment = NOW
    for _ in range(limit.max_failures * 2):
        moment += limit.window
        with pytest.raises(Unauthenticated):
            sign_in.sign_in(user.email, "wrong-password", None, now=moment)
    assert sign_in.sign_in(user.email, user.password, None, now=moment).id == user.id


def test_throttle_keys_are_stored_as_digests(factories):
    login_throttle.record_login_failure("secret-looking@example.com", "203.0.113.9", now=NOW)
    stored = " ".join(f"{r.scope}:{r.key_digest}" for r in LoginThrottle.query.all())
    assert "secret-looking" not in stored and "203.0.113.9" not in stored


def test_money_filters_are_exact():
    assert usd(0) == "$0.00" and usd(1_500_000) == "$1.50" and usd(1_234_567_890_000) == "$1,234,567.89"
    assert usd(1_000_001) == "$1.000001"
    assert hep(150_500_000) == "150.5" and hep(1_000_000_000_000) == "1,000,000"
