"""Reading exhaustion from unified rate-limit headers, and failing over exactly once."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.extensions import db
from app.models import PooledAccount, PoolSwitch
from app.services.pool.usage_signals import exhausted_window
from app.services.pool.failover import fail_over_if_exhausted

U = "anthropic-ratelimit-unified-"
NOW = datetime(2030, 1, 1, 12, 0, 0)


def epoch(dt):
    return str(int(dt.replace(tzinfo=timezone.utc).timestamp()))


def test_a_rejected_status_is_exhaustion_until_the_windows_reset():
    reset = NOW + timedelta(hours=2)
    reason, until = exhausted_window({U + "status": "rejected", U + "representative-claim": "five_hour",
                                      U + "5h-utilization": "1.02", U + "5h-reset": epoch(reset)}, now=NOW)
    assert until == reset
    assert reason == "upstream 429: five_hour window exhausted at 102%, resets 2030-01-01T14:00:00Z"


def test_the_representative_window_at_full_utilisation_is_exhaustion():
    reset = NOW + timedelta(days=3)
    verdict = exhausted_window({U + "status": "allowed_warning", U + "representative-claim": "seven_day_opus",
                                U + "7d_opus-utilization": "1.0", U + "7d_opus-reset": epoch(reset)}, now=NOW)
    assert verdict[1] == reset


def test_without_a_reset_time_retry_after_or_a_default_cooldown_is_used():
    assert exhausted_window({U + "status": "rejected", "retry-after": "600"}, now=NOW)[1] == NOW + timedelta(
        minutes=10)
    assert exhausted_window({U + "status": "rejected"}, now=NOW)[1] == NOW + timedelta(minutes=5)


def test_windows_with_room_left_are_not_exhaustion():
    assert exhausted_window({U + "status": "allowed_warning", U + "representative-claim": "five_hour",
                             U + "5h-utilization": "0.97"}, now=NOW) is None
    assert exhausted_window({"anthropic-ratelimit-requests-remaining": "0", "retry-after": "20"}, now=NOW) is None


def test_failover_happens_once_however_many_429s_report_it(factories):
    first = factories.pooled_account("first")
    second = factories.pooled_account("second")
    headers = {U + "status": "rejected", U + "reset": epoch(datetime.now(timezone.utc).replace(tzinfo=None)
                                                             + timedelta(hours=1))}
    assert fail_over_if_exhausted(first.id, 429, headers) == second.id
    assert fail_over_if_exhausted(first.id, 429, headers) is None
    assert fail_over_if_exhausted(first.id, 529, headers) is None
    db.session.rollback()
    assert db.session.get(PooledAccount, second.id).is_active
    assert len(db.session.scalars(select(PoolSwitch).where(PoolSwitch.via == "failover")).all()) == 1


def test_without_a_healthy_successor_the_account_is_only_marked(factories):
    only = factories.pooled_account("only")
    assert fail_over_if_exhausted(only.id, 429, {U + "status": "rejected"}) is None
    db.session.rollback()
    account = db.session.get(PooledAccount, only.id)
    assert account.is_active and account.rate_limited_until is not None
