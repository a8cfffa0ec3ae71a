"""The pool of Claude accounts: adding, removing, disabling, their status and their credentials.

Every change to the pool runs in a write transaction that first locks the pool_state row,
so concurrent activations on any number of instances serialise, and bumps the usage
version in the same transaction (the usage API's payload changed).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select, update

from app.extensions import db
from app.models import PooledAccount, PoolState, PoolSwitch
from app.models.base import utcnow
from app.models.pool import KIND_API_KEY, KIND_OAUTH
from app.services.credentials import crypto
from app.services.db.transactions import write_transaction
from app.services.errors import Conflict, InvalidInput, NotFound


MAX_LABEL_LENGTH = 120
STATUS_OK = "ok"
STATUS_RATE_LIMITED = "rate_limited"
STATUS_NEEDS_RELOGIN = "needs_relogin"
STATUS_DISABLED = "disabled"


@dataclass(frozen=True)
class PoolCredentials:
    """Decrypted credentials of one pooled account, as the proxy injects them."""

    account_id: int
    kind: str
    secret: str
    expires_at: Optional[datetime] = None

    def __repr__(self):  # keep the secret out of logs and tracebacks
        return f"PoolCredentials(account_id={self.account_id}, kind={self.kind!r})"


def lock_pool(session=None):
    """Lock the pool for the rest of the current write transaction (creating its state row)."""
    session = session or db.session
    state = session.scalar(select(PoolState).where(PoolState.id == 1).with_for_update())
    if state is None:
        state = PoolState(id=1, usage_version=1, updated_at=utcnow())
        session.add(state)
        session.flush()
    return state


def bump_usage_version(session=None):
    """Mark the usage payload as changed; call inside a write transaction that changed it."""
    session = session or db.session
    result = session.execute(
        update(PoolState).where(PoolState.id == 1)
        .values(usage_version=PoolState.usage_version + 1, updated_at=utcnow()))
    if result.rowcount == 0:
        session.add(PoolState(id=1, usage_version=2, updated_at=utcnow()))
        session.flush()


def current_usage_version():
    """The usage payload's version counter."""
    return db.session.scalar(select(PoolState.usage_version).where(PoolState.id == 1)) or 1


def account_status(account):
    """One of ok / rate_limited / needs_relogin / disabled, from stored state only."""
    if account.disabled:
        return STATUS_DISABLED
    if account.needs_relogin:
        return STATUS_NEEDS_RELOGIN
    if account.rate_limited_until is not None:
        return STATUS_RATE_LIMITED
    return STATUS_OK


def _clean_label(label):
    label = (label or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(f"label must be 1-{MAX_LABEL_LENGTH} characters",
                           fields={"label": [f"Must be 1-{MAX_LABEL_LENGTH} characters."]})
    return label


def _clean_secret(value, name):
    value = (value or "").strip()
    if not value or any(ch.isspace() for ch in value):
        raise InvalidInput(f"{name} must be a non-empty string without spaces",
                           fields={name: ["Must be a non-empty string without spaces."]})
    # Credentials travel in HTTP headers: printable ASCII only (anything else could not be sent at all).
    if not all("!" <= ch <= "~" for ch in value):
        raise InvalidInput(f"{name} must be printable ASCII", fields={name: ["Must be printable ASCII."]})
    return value


def record_switch(from_account, to_account, *, actor_user_id, via, reason):
    """Add the audit row of a change of the active account (inside the write transaction that made it)."""
    db.session.add(PoolSwitch(
        from_account_id=from_account.id if from_account else None,
        to_account_id=to_account.id if to_account else None,
        from_label=from_account.label if from_account else None,
        to_label=to_account.label if to_account else None,
        actor_user_id=actor_user_id, via=via, reason=reason, created_at=utcnow()))


def add_pooled_account(label, *, api_key=None, oauth_access_token=None, oauth_refresh_token=None,
                       oauth_expires_at=None, actor_user_id=None, via="admin_cli"):
    """Add an account with an API key or an OAuth token pair; the first one becomes active."""
    label = _clean_label(label)
    if bool(api_key) == bool(oauth_access_token):
        raise InvalidInput("give exactly one of an API key or an OAuth access token")
    if api_key and (oauth_refresh_token or oauth_expires_at):
        raise InvalidInput("a refresh token or expiry only goes with an OAuth access token")
    with write_transaction():
        lock_pool()
        if db.session.scalar(select(PooledAccount.id).where(PooledAccount.label == label)):
            raise Conflict(f"a pooled account labelled {label!r} already exists")
        account = PooledAccount(label=label, created_at=utcnow())
        if api_key:
            account.kind = KIND_API_KEY
            account.api_key_encrypted = crypto.encrypt(_clean_secret(api_key, "api_key"))
        else:
            account.kind = KIND_OAUTH
            account.oauth_access_token_encrypted = crypto.encrypt(
                _clean_secret(oauth_access_token, "oauth_access_token"))
            if oauth_refresh_token:
                account.oauth_refresh_token_encrypted = crypto.encrypt(
                    _clean_secret(oauth_refresh_token, "oauth_refresh_token"))
            account.oauth_expires_at = oauth_expires_at
        current = active_pooled_account()
        if current is None:
            account.is_active = True
        db.session.add(account)
        db.session.flush()
        if current is None:
            record_switch(None, account, actor_user_id=actor_user_id, via=via,
                           reason="first account in the pool")
        bump_usage_version()
    return account


def list_pooled_accounts():
    """Every pooled account, oldest first."""
    return list(db.session.scalars(select(PooledAccount).order_by(PooledAccount.id)))


def get_pooled_account(account_id):
    """One pooled account; NotFound otherwise."""
    account = db.session.get(PooledAccount, account_id) if isinstance(account_id, int) else None
    if account is None:
        raise NotFound(f"no pooled account with id {account_id}")
    return account


def active_pooled_account():
    """The globally active pooled account, or None when the pool is empty."""
    return db.session.scalar(select(PooledAccount).where(PooledAccount.is_active.is_(True)))


def next_healthy_account(exclude_ids=()):
    """The first account, in id order, that is ok and not excluded (None if there is none)."""
    for account in list_pooled_accounts():
        if account.id not in exclude_ids and account_status(account) == STATUS_OK:
            return account
    return None


def remove_pooled_account(account_id, *, actor_user_id=None, via="admin_cli"):
    """Delete an account and its credentials; if it was active, the next healthy one takes over."""
    with write_transaction():
        lock_pool()
        account = get_pooled_account(account_id)
        if account.is_active:
            successor = next_healthy_account(exclude_ids={account.id}) or next(
                (a for a in list_pooled_accounts() if a.id != account.id and not a.disabled), None)
            account.is_active = False
            db.session.flush()
            if successor is not None:
                successor.is_active = True
            record_switch(account, successor, actor_user_id=actor_user_id, via=via,
                           reason=f"account {account.label!r} removed")
        db.session.delete(account)
        bump_usage_version()


def set_pooled_account_disabled(account_id, disabled, *, actor_user_id=None, via="admin_cli"):
    """Take an account out of service (or back in); an active account cannot be disabled."""
    with write_transaction():
        lock_pool()
        account = get_pooled_account(account_id)
        if disabled and account.is_active:
            raise Conflict("activate another account before disabling the active one")
        if account.disabled != bool(disabled):
            account.disabled = bool(disabled)
            bump_usage_version()
    return account


def pooled_credentials(account):
    """Decrypt an account's current credential (API key, or OAuth access token)."""
    if account.kind == KIND_API_KEY:
        return PoolCredentials(account.id, KIND_API_KEY, crypto.decrypt(account.api_key_encrypted))
    return PoolCredentials(account.id, KIND_OAUTH, crypto.decrypt(account.oauth_access_token_encrypted),
                           account.oauth_expires_at)


def clear_expired_rate_limits(now=None):
    """Return accounts whose rate limit has passed to ok; returns how many changed."""
    now = now or utcnow()
    with write_transaction():
        lock_pool()
        expired = list(db.session.scalars(
            select(PooledAccount).where(PooledAccount.rate_limited_until.is_not(None),
                                        PooledAccount.rate_limited_until <= now)))
        for account in expired:
            account.rate_limited_until = None
            account.status_reason = None
        if expired:
            bump_usage_version()
    return len(expired)

