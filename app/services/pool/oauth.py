"""Refreshing pooled OAuth access tokens, one refresh at a time per account across processes.

The refresh grant goes to ANTHROPIC_OAUTH_TOKEN_URL (see PROTOCOLS §2.3). A database lease
named `oauth-refresh:<id>` serialises refreshes: a second caller waits for the first, then
finds the new token already stored and returns it without calling upstream. Refresh tokens
may rotate, so a concurrent second refresh with the old token would fail; the lease avoids it.
All database work here uses its own short sessions, independent of the caller's.
"""
import time
from datetime import timedelta

import requests
from flask import current_app

from app.models import PooledAccount
from app.models.base import utcnow
from app.models.pool import KIND_OAUTH
from app.services.credentials import crypto
from app.services.db.leases import acquire_lease, new_owner_id, release_lease
from app.services.db.transactions import separate_write_session
from app.services.errors import ServiceError
from app.services.pool.accounts import PoolCredentials, bump_usage_version, lock_pool

REFRESH_MARGIN = timedelta(minutes=5)
LEASE_SECONDS = 60
WAIT_SECONDS = 30
TOKEN_READ_TIMEOUT = 30


class OAuthRefreshError(ServiceError):
    """A refresh failed; `relogin_required` when the refresh token itself is no longer valid."""

    status = 503
    code = "oauth_refresh_failed"

    def __init__(self, message, *, relogin_required=False):
        super().__init__(message)
        self.relogin_required = relogin_required


def needs_refresh(account, *, now=None, margin=REFRESH_MARGIN):
    """True for an OAuth account whose access token expires within `margin`."""
    if account.kind != KIND_OAUTH or account.oauth_expires_at is None:
        return False
    if not account.oauth_refresh_token_encrypted:
        return False
    return account.oauth_expires_at - (now or utcnow()) <= margin


def _credentials(account):
    return PoolCredentials(account.id, KIND_OAUTH, crypto.decrypt(account.oauth_access_token_encrypted),
                           account.oauth_expires_at)


def _still_fresh(account, rejected_access_token, now):
    if rejected_access_token is not None:
        return crypto.decrypt(account.oauth_access_token_encrypted) != rejected_access_token
    return account.oauth_expires_at is not None and account.oauth_expires_at - now > REFRESH_MARGIN


def _post_refresh(refresh_token):
    config = current_app.config
    try:
        return requests.post(
            config["ANTHROPIC_OAUTH_TOKEN_URL"],
            json={"grant_type": "refresh_token", "refresh_token": refresh_token,
                  "client_id": config["ANTHROPIC_OAUTH_CLIENT_ID"]},
            headers={"Accept": "application/json"},
            timeout=(config["UPSTREAM_CONNECT_TIMEOUT"], TOKEN_READ_TIMEOUT),
        )
    except requests.RequestException as exc:
        raise OAuthRefreshError(f"token endpoint unreachable: {type(exc).__name__}") from None


def _mark_needs_relogin(account_id, reason):
    with separate_write_session() as session:
        account = session.get(PooledAccount, account_id)
        if account is not None and not account.needs_relogin:
            account.needs_relogin = True
            account.status_reason = reason
            lock_pool(session)
            bump_usage_version(session)


def _store_tokens(account_id, body, now):
    access = body.get("access_token")
    expires_in = body.get("expires_in")
    if not isinstance(access, str) or not access:
        raise OAuthRefreshError("token endpoint answered without an access token")
    with separate_write_session() as session:
        account = session.get(PooledAccount, account_id)
        if account is None:
            raise OAuthRefreshError("pooled account disappeared during refresh")
        account.oauth_access_token_encrypted = crypto.encrypt(access)
        refresh = body.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            account.oauth_refresh_token_encrypted = crypto.encrypt(refresh)
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
            account.oauth_expires_at = now + timedelta(seconds=int(expires_in))
        else:
            account.oauth_expires_at = now + timedelta(hours=1)
        if account.needs_relogin:
            account.needs_relogin = False
            account.status_reason = None
            lock_pool(session)
            bump_usage_version(session)
        return _credentials(account)


def _refresh_holding_lease(account_id, rejected_access_token):
    now = utcnow()
    with separate_write_session() as session:
        account = session.get(PooledAccount, account_id)
        if account is None or account.kind != KIND_OAUTH:
            raise OAuthRefreshError(f"pooled account {account_id} is not an OAuth account")
        if _still_fresh(account, rejected_access_token, now):
            return _credentials(account)
        if not account.oauth_refresh_token_encrypted:
            raise OAuthRefreshError("no refresh token stored; log in again", relogin_required=True)
        refresh_token = crypto.decrypt(account.oauth_refresh_token_encrypted)
    response = _post_refresh(refresh_token)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 200:
        return _store_tokens(account_id, body, now)
    error = body.get("error") if isinstance(body.get("error"), str) else None
    if error == "invalid_grant" or response.status_code == 401:
        _mark_needs_relogin(account_id, "refresh token rejected: log in again")
        raise OAuthRefreshError("the refresh token was rejected; the account needs a new login",
                                relogin_required=True)
    raise OAuthRefreshError(f"token endpoint answered HTTP {response.status_code}")


def refresh_access_token(account_id, *, rejected_access_token=None):
    """Refresh an account's access token unless someone already did; returns fresh credentials.

    Without `rejected_access_token`, refreshes only when the stored token is within the
    margin of expiry. With it (the token upstream just refused), refreshes unless the stored
    token has already been replaced.
    """
    name = f"oauth-refresh:{account_id}"
    owner = new_owner_id()
    deadline = time.monotonic() + WAIT_SECONDS
    while not acquire_lease(name, owner, LEASE_SECONDS):
        if time.monotonic() > deadline:
            raise OAuthRefreshError("another refresh of this account is taking too long")
        time.sleep(0.05)
    try:
        return _refresh_holding_lease(account_id, rejected_access_token)
    finally:
        release_lease(name, owner)
