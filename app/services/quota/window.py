"""The rolling 30-day spend window over hourly spend buckets (OpenAI side).

Contract shared by admission (the cap), settlement and the dashboard:
- `spend_buckets` holds *settled* spend per user per hour; `bucket_start` is the hour's start
  (naive UTC). `spend_micro_usd` is the whole settled cost, `overage_micro_usd` the part of
  it paid as overage.
- The window at time `now` covers the buckets whose hour starts at or after
  `hour_floor(now) - 30 days`: up to 721 rows per user, however long the history is.
- In-flight requests are not in the buckets; their estimates sit in `users.reserved_micro_usd`.
"""
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from app.extensions import db
from app.models import SpendBucket

WINDOW = timedelta(days=30)


class WindowSpend(NamedTuple):
    """Settled spend in the window: total and the overage part, in micro-dollars."""

    spend_micro_usd: int
    overage_micro_usd: int


def hour_floor(moment):
    """The start of the hour containing `moment` (the key of its spend bucket)."""
    return moment.replace(minute=0, second=0, microsecond=0)


def window_start(now):
    """The first bucket hour that still counts at `now`."""
    return hour_floor(now) - WINDOW


def window_spend(user_id, now, session=None):
    """Settled spend and overage of a user over the rolling 30-day window ending at `now`."""
    session = session or db.session
    spend, overage = session.execute(
        select(func.coalesce(func.sum(SpendBucket.spend_micro_usd), 0),
               func.coalesce(func.sum(SpendBucket.overage_micro_usd), 0))
        .where(SpendBucket.user_id == user_id, SpendBucket.bucket_start >= window_start(now))
    ).one()
    return WindowSpend(int(spend), int(overage))


def daily_spend(user_id, now, session=None):
    """Settled spend per UTC day over the window, oldest first: [(date, spend, overage)]."""
    session = session or db.session
    rows = session.execute(
        select(SpendBucket.bucket_start, SpendBucket.spend_micro_usd, SpendBucket.overage_micro_usd)
        .where(SpendBucket.user_id == user_id, SpendBucket.bucket_start >= window_start(now))
        .order_by(SpendBucket.bucket_start)
    ).all()
    days = {}
    for start, spend, overage in rows:
        total = days.setdefault(start.date(), [0, 0])
        total[0] += spend
        total[1] += overage
    return [(day, spend, overage) for day, (spend, overage) in days.items()]
