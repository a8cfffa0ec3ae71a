"""The 429 a refused request gets: which limit, how much is used, and when enough of the window frees up."""
import math
from datetime import timedelta

from app.services.errors import QuotaExceeded
from app.services.money import format_micro
from app.services.quota.pricing import hep_tokens_micro
from app.services.quota.window import WINDOW

QUOTA_EXHAUSTED, OVERAGE_CAP, NO_HEP_TOKENS = "quota_exhausted", "overage_cap", "no_hep_tokens"
REASONS = (QUOTA_EXHAUSTED, OVERAGE_CAP, NO_HEP_TOKENS)

# Response headers of the OpenAI-compatible API (documented in the README).
COST_HEADER = "x-hep-cost-usd"
REMAINING_HEADER = "x-hep-remaining-usd"
_HOUR = timedelta(hours=1)
# A bucket stops counting once the hour after its 30th anniversary begins (spend.window_start).
_AGE_OUT = WINDOW + _HOUR


def _usd(micro):
    return "$" + format_micro(micro)


def frees_up_at(buckets, index, fixed, limit):
    """When the window's total of column `index` plus `fixed` first drops below `limit` as
    buckets (start, spend, overage), oldest first, age out; None when it never does."""
    total = sum(row[index] for row in buckets)
    for row in buckets:
        total -= row[index]
        if total + fixed < limit:
            return row[0] + _AGE_OUT
    return None


def _earliest(*moments):
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def _when(moment, now):
    if moment is None:
        return ("Settled spend in the window alone does not free enough room; requests still running "
                "must finish first, or the limit must be raised.")
    seconds = max(1, math.ceil((moment - now).total_seconds()))
    return f"Enough of the window frees up at {moment.isoformat()}Z (in {seconds} s)."


def _inflight(standing):
    return f", {_usd(standing.reserved)} of it in requests still running" if standing.reserved else ""


def quota_exceeded(reason, standing, estimate, buckets, now):
    """The QuotaExceeded error for a refusal, with x-should-retry: false and, when knowable, retry-after."""
    back_under_cap = frees_up_at(buckets, 1, standing.reserved, standing.cap)
    cap_text = (f"You have used {_usd(standing.used)} of your {_usd(standing.cap)} rolling 30-day spend cap"
                f"{_inflight(standing)}.")
    if reason == QUOTA_EXHAUSTED:
        moment = back_under_cap
        message = (f"{cap_text} Overage is off for your account (opt in on the dashboard to keep going past "
                   f"the cap). {_when(moment, now)}")
    elif reason == OVERAGE_CAP:
        overage_used = standing.overage + standing.inflight_overage
        moment = _earliest(back_under_cap,
                           frees_up_at(buckets, 2, standing.inflight_overage, standing.overage_cap))
        message = (f"You have used {_usd(overage_used)} of your {_usd(standing.overage_cap)} overage cap in the "
                   f"rolling 30-day window, and your spend cap is used up ({_usd(standing.used)} of "
                   f"{_usd(standing.cap)}). {_when(moment, now)}")
    else:
        needed = hep_tokens_micro(standing.inflight_overage + estimate, standing.tokens_per_usd)
        moment = back_under_cap
        message = (f"Your hep-token balance of {format_micro(standing.balance_micro)} cannot pay for this "
                   f"request's overage (up to {format_micro(needed)} hep tokens at "
                   f"{standing.tokens_per_usd} per USD, counting requests still running). {cap_text} "
                   f"Top up hep tokens, or wait: {_when(moment, now)}")
    headers = {"x-should-retry": "false", COST_HEADER: "0", REMAINING_HEADER: format_micro(standing.remaining())}
    if moment is not None:
        headers["retry-after"] = str(max(1, math.ceil((moment - now).total_seconds())))
    return QuotaExceeded(message, code=reason, headers=headers)
