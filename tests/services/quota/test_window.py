"""The rolling 30-day window over hourly spend buckets."""
from datetime import datetime, timedelta

from app.extensions import db
from app.models import SpendBucket
from app.services.quota.window import daily_spend, hour_floor, window_spend, window_start


def bucket(user, start, spend, overage=0):
    db.session.add(SpendBucket(user_id=user.id, bucket_start=start, spend_micro_usd=spend,
                               overage_micro_usd=overage, request_count=1))


def test_the_window_counts_thirty_days_of_whole_hours(factories):
    user, other = factories.user(), factories.user()
    now = datetime(2026, 11, 25, 12, 34, 56)
    start = window_start(now)
    assert start == datetime(2026, 10, 26, 12, 0)
    bucket(user, start - timedelta(hours=1), 1_000)  # too old
    bucket(user, start, 20, 5)                      # the oldest hour still counted
    bucket(user, hour_floor(now), 300, 100)         # the current hour
    bucket(other, hour_floor(now), 999_999)         # someone else
    db.session.commit()
    assert window_spend(user.id, now) == (320, 105)
    # an hour later the oldest counted bucket has rolled out of the window
    assert window_spend(user.id, now + timedelta(hours=1)) == (300, 100)


def test_an_empty_history_spends_nothing(factories):
    assert window_spend(factories.user().id, datetime(2026, 1, 1)) == (0, 0)


def test_daily_spend_groups_hours_by_day(factories):
    user = factories.user()
    now = datetime(2026, 11, 25, 12)
    bucket(user, datetime(2026, 11, 24, 1), 10)
    bucket(user, datetime(2026, 11, 24, 23), 5, 2)
    bucket(user, datetime(2026, 11, 25, 0), 7)
    db.session.commit()
    assert [(d.isoformat(), s, o) for d, s, o in daily_spend(user.id, now)] == [
        ("2026-11-24", 15, 2), ("2026-11-25", 7, 0)]
