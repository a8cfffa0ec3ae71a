"""Which pooled account is the active one, and switching it (audited).

A switch runs in a write transaction that first locks the pool_state row, so concurrent
activations on any number of instances serialise, records who switched from which account to
which, and bumps the usage version in the same transaction.
"""
from dataclasses import dataclass
from typing import Optional

from app.extensions import db
from app.models import PooledAccount
from app.services.db.transactions import write_transaction
from app.services.errors import Conflict
from app.services.pool.accounts import (active_pooled_account, bump_usage_version, get_pooled_account, lock_pool,
                                        record_switch)


def _switch_active(target, *, actor_user_id, via, reason):
    current = active_pooled_account()
    if current is not None and current.id == target.id:
        return False
    if current is not None:
        current.is_active = False
        db.session.flush()  # the partial unique index allows one active row at a time
    target.is_active = True
    db.session.flush()
    record_switch(current, target, actor_user_id=actor_user_id, via=via, reason=reason)
    bump_usage_version()
    return True


@dataclass(frozen=True)
class Switch:
    """The outcome of an activation: the now-active account, the one it replaced, whether it changed."""

    account: PooledAccount
    previous_id: Optional[int]
    previous_label: Optional[str]
    changed: bool


def switch_active_account(account_id, *, actor_user_id=None, via, reason=None):
    """Make an account the globally active one (audited); returns a Switch saying what changed."""
    with write_transaction():
        lock_pool()
        target = get_pooled_account(account_id)
        if target.disabled:
            raise Conflict(f"pooled account {target.id} is disabled; enable it before activating it")
        previous = active_pooled_account()
        previous_id, previous_label = (previous.id, previous.label) if previous else (None, None)
        changed = _switch_active(target, actor_user_id=actor_user_id, via=via, reason=reason)
    return Switch(target, previous_id, previous_label, changed)


def activate_pooled_account(account_id, *, actor_user_id=None, via, reason=None):
    """Make an account the globally active one, recording who switched from which to which."""
    return switch_active_account(account_id, actor_user_id=actor_user_id, via=via, reason=reason).account

