"""The usage refresher: keeps pooled OAuth accounts' usage fresh from Anthropic's OAuth usage endpoint.

One pass looks at every pooled account and polls those that are due, at most once per
interval across every process and machine running it:

1. Skipped without a poll: API-key accounts (their figures come from response headers only),
   disabled accounts, accounts that need a new login, accounts backing off after a 429/403
   (`usage_poll_not_before`), accounts polled less than an interval ago (`usage_polled_at`),
   and accounts whose 5-hour and 7-day figures came from response headers within the interval.
2. The lease `usage-poll:<id>` is taken for the interval, then the poll is claimed with one
   conditional UPDATE of `usage_polled_at`; both live in the shared database, so two
   refreshers never poll one account in the same interval.
3. An access token near expiry is refreshed first; a 401 refreshes the token once and retries once.
4. Figures are merged into the cache (one write, one version bump); failures are recorded in
   the snapshot's `poll` section, with a back-off where retrying sooner is pointless.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import or_, update

from app.extensions import db
from app.models import PooledAccount
from app.models.base import utcnow
from app.models.pool import KIND_OAUTH
from app.services.db.leases import acquire_lease, new_owner_id
from app.services.db.transactions import write_transaction
from app.services.pool.accounts import (bump_usage_version, clear_expired_rate_limits, list_pooled_accounts, lock_pool,
                                        pooled_credentials)
from app.services.pool.oauth import OAuthRefreshError, needs_refresh, refresh_access_token
from app.services.pool.usage_endpoint import UsageEndpointUnreachable, fetch_oauth_usage
from app.services.pool.usage_signals import parse_usage_payload
from app.services.pool.usage_snapshot import SOURCE_HEADERS, SOURCE_USAGE_ENDPOINT, merge_snapshot, record_usage_update
from app.services.timestamps import iso, parse_timestamp

logger = logging.getLogger("hepgg.usage_refresher")
DEFAULT_INTERVAL_SECONDS = 300
# A 403 means the token lacks the user:profile scope (a `claude setup-token` token) or the
# organisation refuses OAuth: asking again every interval would only repeat it.
FORBIDDEN_BACKOFF = timedelta(hours=24)
# A 401 that a token refresh did not cure will not cure itself either.
UNAUTHORIZED_BACKOFF = timedelta(hours=1)
# A 429 without a readable retry-after.
RATE_LIMITED_FALLBACK = timedelta(minutes=5)
HEADER_WINDOWS = ("five_hour", "seven_day")


@dataclass(frozen=True)
class AccountResult:
    """What one pass did with one account: `polled` with an outcome, `skipped` with a reason, or `failed`."""

    account_id: int
    label: str
    action: str
    outcome: str


def lease_name(account_id):
    """The database lease a refresher holds on an account for one interval."""
    return f"usage-poll:{account_id}"


def refresh_pool_usage(*, interval=DEFAULT_INTERVAL_SECONDS, now=None, should_stop=None, http=None):
    """One pass over the pool, polling the accounts that are due; returns an AccountResult per account."""
    clock = (lambda: now) if now is not None else utcnow
    clear_expired_rate_limits(clock())
    owner = new_owner_id()
    accounts = [(account.id, account.label) for account in list_pooled_accounts()]
    db.session.rollback()
    results = []
    with requests.Session() as session:
        for account_id, label in accounts:
            if should_stop is not None and should_stop():
                break
            try:
                result = _refresh_account(account_id, interval, clock(), owner, http or session)
            except Exception as exc:  # one broken account must not starve the rest of the pool
                db.session.rollback()
                logger.exception("usage refresh of pooled account %s failed", account_id)
                result = AccountResult(account_id, label, "failed", type(exc).__name__)
            if result is not None:
                results.append(result)
    return results


def _headers_are_fresh(account, interval, now):
    windows = (account.usage_snapshot or {}).get("windows") or {}
    for key in HEADER_WINDOWS:
        window = windows.get(key) or {}
        observed = parse_timestamp(window.get("observed_at"))
        if window.get("source") != SOURCE_HEADERS or observed is None:
            return False
        if (now - observed).total_seconds() >= interval:
            return False
    return True


def _skip_reason(account, interval, now):
    if account.kind != KIND_OAUTH:
        return "api_key_account"
    if account.disabled:
        return "disabled"
    if account.needs_relogin:
        return "needs_relogin"
    if account.usage_poll_not_before is not None and account.usage_poll_not_before > now:
        return "backing_off"
    if account.usage_polled_at is not None and (now - account.usage_polled_at).total_seconds() < interval:
        return "polled_recently"
    if _headers_are_fresh(account, interval, now):
        return "headers_fresh"
    return None


def _claim_poll(account_id, interval, now):
    """Stamp usage_polled_at unless someone polled within the interval; True when we hold the poll."""
    with write_transaction():
        claimed = db.session.execute(
            update(PooledAccount)
            .where(PooledAccount.id == account_id)
            .where(or_(PooledAccount.usage_polled_at.is_(None),
                       PooledAccount.usage_polled_at <= now - timedelta(seconds=interval)))
            .where(or_(PooledAccount.usage_poll_not_before.is_(None), PooledAccount.usage_poll_not_before <= now))
            .values(usage_polled_at=now)
            .execution_options(synchronize_session=False)).rowcount
    return claimed == 1


def _refresh_account(account_id, interval, now, owner, http):
    db.session.rollback()  # a fresh transaction sees what other refreshers committed
    account = db.session.get(PooledAccount, account_id, populate_existing=True)
    if account is None:
        return None
    label = account.label
    reason = _skip_reason(account, interval, now)
    if reason is None and not acquire_lease(lease_name(account_id), owner, interval, now=now):
        reason = "busy"
    if reason is None and not _claim_poll(account_id, interval, now):
        reason = "polled_recently"
    if reason is not None:
        db.session.rollback()
        return AccountResult(account_id, label, "skipped", reason)
    outcome = _poll(account_id, interval, now, http)
    logger.info("usage poll of pooled account %s: %s", account_id, outcome)
    return AccountResult(account_id, label, "polled", outcome)


def _current_credentials(account_id, now):
    account = db.session.get(PooledAccount, account_id, populate_existing=True)
    if account is None:
        raise OAuthRefreshError("the pooled account was removed")
    try:
        if needs_refresh(account, now=now):
            return refresh_access_token(account_id)
        return pooled_credentials(account)
    finally:
        db.session.rollback()  # no transaction stays open across the HTTP calls


def _poll(account_id, interval, now, http):
    try:
        credentials = _current_credentials(account_id, now)
    except OAuthRefreshError as exc:
        outcome = "needs_relogin" if exc.relogin_required else "token_refresh_failed"
        return _record_failure(account_id, now, outcome, f"could not refresh the access token: {exc.message}")
    try:
        reply = fetch_oauth_usage(credentials.secret, http=http, now=now)
        if reply.status == 401:
            try:
                credentials = refresh_access_token(account_id, rejected_access_token=credentials.secret)
            except OAuthRefreshError as exc:
                return _record_failure(
                    account_id, now, "unauthorized",
                    f"the usage endpoint rejected the access token and refreshing it failed: {exc.message}",
                    http_status=401, backoff=UNAUTHORIZED_BACKOFF)
            reply = fetch_oauth_usage(credentials.secret, http=http, now=now)
    except UsageEndpointUnreachable as exc:
        return _record_failure(account_id, now, "unreachable", str(exc))
    return _record_reply(account_id, reply, interval, now)


def _record_reply(account_id, reply, interval, now):
    if reply.status == 200:
        try:
            update_ = parse_usage_payload(reply.payload)
        except ValueError:
            return _record_failure(account_id, now, "invalid_response",
                                   "the usage endpoint answered 200 without a JSON object", http_status=200)
        update_["poll"] = _poll_section("ok", 200, None, None)
        record_usage_update(account_id, update_, source=SOURCE_USAGE_ENDPOINT, now=now)
        return "ok"
    if reply.status == 401:
        return _record_failure(account_id, now, "unauthorized",
                               "the usage endpoint rejected the freshly refreshed access token",
                               http_status=401, backoff=UNAUTHORIZED_BACKOFF)
    if reply.status == 403:
        return _record_failure(
            account_id, now, "forbidden",
            "the usage endpoint refused this token (HTTP 403): tokens without the user:profile scope, "
            "such as `claude setup-token` ones, cannot read usage; figures come from response headers",
            http_status=403, backoff=FORBIDDEN_BACKOFF)
    if reply.status == 429:
        wait = (timedelta(seconds=reply.retry_after) if reply.retry_after is not None
                else max(RATE_LIMITED_FALLBACK, timedelta(seconds=interval)))
        return _record_failure(account_id, now, "rate_limited",
                               "the usage endpoint is rate limiting this account (HTTP 429)",
                               http_status=429, backoff=wait)
    return _record_failure(account_id, now, "upstream_error",
                           f"the usage endpoint answered HTTP {reply.status}", http_status=reply.status)


def _poll_section(outcome, http_status, message, not_before):
    return {"outcome": outcome, "http_status": http_status, "message": message,
            "next_poll_after": iso(not_before)}


def _record_failure(account_id, now, outcome, message, *, http_status=None, backoff=None):
    """Keep the figures, note what went wrong in the `poll` section, and back off when asked."""
    not_before = now + backoff if backoff else None
    poll = _poll_section(outcome, http_status, message, not_before)
    with write_transaction():
        lock_pool()
        account = db.session.get(PooledAccount, account_id, populate_existing=True)
        if account is None:
            return outcome
        snapshot = merge_snapshot(account.usage_snapshot, {"poll": poll}, source=SOURCE_USAGE_ENDPOINT, now=now)
        if not_before is not None:
            account.usage_poll_not_before = not_before
        if snapshot != (account.usage_snapshot or {}):
            account.usage_snapshot = snapshot
            bump_usage_version()
    return outcome
