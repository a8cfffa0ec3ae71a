"""What the usage API serves: the pool's cached usage read consistently, one account, activation.

Nothing here calls Anthropic: every figure comes from the cache (app.services.usage_cache).
"""
from sqlalchemy import select

from app.extensions import db
from app.models import PooledAccount, PoolState
from app.services.errors import NotFound
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services.pool.usage_snapshot import account_snapshot, pool_snapshot

OPTIMISTIC_READS = 3
VIA_USAGE_API = "usage_api"


def _read_accounts():
    query = select(PooledAccount).order_by(PooledAccount.id).execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def read_pool_usage():
    """The whole pool's usage payload, with accounts and version read at one consistent moment.

    Every writer bumps the version in the transaction that changes the data, so reading the
    same version before and after the accounts proves nothing was committed in between.
    SQLite reads one snapshot per transaction, so that always holds there; on PostgreSQL
    (each statement its own snapshot) constant writes can defeat it, and then the read takes
    a share lock on the pool state, which every writer locks exclusively before committing.
    """
    for _ in range(OPTIMISTIC_READS):
        before = pool.current_usage_version()
        accounts = _read_accounts()
        if pool.current_usage_version() == before:
            return pool_snapshot(accounts, version=before)
    db.session.rollback()
    try:
        version = db.session.scalar(
            select(PoolState.usage_version).where(PoolState.id == 1).with_for_update(read=True)) or 1
        return pool_snapshot(_read_accounts(), version=version)
    finally:
        db.session.rollback()


def read_account_usage(account_id):
    """One account's cached usage snapshot; NotFound for an unknown id."""
    return account_snapshot(pool.get_pooled_account(account_id))


def activate_account_for(user, account_id, *, via=VIA_USAGE_API, reason="activated through the usage API"):
    """Make an account the active one on behalf of `user`; the new state, audited with `via`.

    Activating the account that is already active changes nothing (no audit row, same version).
    """
    switch = pool_active.switch_active_account(account_id, actor_user_id=user.id, via=via, reason=reason)
    payload = read_pool_usage()
    entry = next((a for a in payload["accounts"] if a["id"] == int(account_id)), None)
    if entry is None:  # removed by someone else in the meantime
        raise NotFound(f"no pooled account with id {account_id}")
    previous = None
    if switch.previous_id is not None:
        previous = {"id": switch.previous_id, "label": switch.previous_label}
    return {
        "changed": switch.changed,
        "previous": previous,
        "account": entry,
        "version": payload["version"],
    }
