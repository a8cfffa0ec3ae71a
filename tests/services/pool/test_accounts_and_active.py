"""The pool: first account active, audited switches, removal, credentials, version bumps."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PoolSwitch
from app.models.base import utcnow
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services.errors import Conflict, InvalidInput, NotFound


def switches():
    return list(db.session.scalars(select(PoolSwitch).order_by(PoolSwitch.id)))


def test_the_first_account_becomes_active_and_that_is_recorded(factories):
    first = factories.pooled_account("first")
    second = factories.pooled_account("second")
    assert first.is_active and not second.is_active
    assert pool_active.active_pooled_account().id == first.id
    [switch] = switches()
    assert (switch.from_account_id, switch.to_account_id, switch.via) == (None, first.id, "test")


def test_activation_is_audited_with_actor_and_bumps_the_version(factories):
    admin = factories.user(admin=True)
    first, second = factories.pooled_account("first"), factories.pooled_account("second")
    version = pool.current_usage_version()
    pool_active.activate_pooled_account(second.id, actor_user_id=admin.id, via="usage_api", reason="manual")
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert pool_active.active_pooled_account().id == second.id
    switch = switches()[-1]
    assert (switch.from_account_id, switch.to_account_id) == (first.id, second.id)
    assert (switch.from_label, switch.to_label, switch.actor_user_id, switch.via) == (
        "first", "second", admin.id, "usage_api")
    assert pool.current_usage_version() == version + 1


def test_activating_the_active_account_changes_nothing(factories):
    first = factories.pooled_account()
    version, count = pool.current_usage_version(), len(switches())
    pool_active.activate_pooled_account(first.id, via="test")
    assert (pool.current_usage_version(), len(switches())) == (version, count)


def test_unknown_and_disabled_accounts_cannot_be_activated(factories):
    factories.pooled_account()
    second = factories.pooled_account()
    pool.set_pooled_account_disabled(second.id, True)
    with pytest.raises(Conflict):
        pool_active.activate_pooled_account(second.id, via="test")
    with pytest.raises(NotFound):
        pool_active.activate_pooled_account(9999, via="test")


def test_removing_the_active_account_hands_over_to_a_healthy_one(factories):
    first, second, third = (factories.pooled_account(n) for n in ("a", "b", "c"))
    pool.set_pooled_account_disabled(second.id, True)
    pool.remove_pooled_account(first.id, via="test")
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert pool_active.active_pooled_account().id == third.id
    switch = switches()[-1]
    assert (switch.from_label, switch.to_label) == ("a", "c")
    pool.remove_pooled_account(third.id, via="test")
    pool.remove_pooled_account(second.id, via="test")
    assert pool_active.active_pooled_account() is None


def test_credentials_are_encrypted_and_decrypt_back(factories):
    account = factories.pooled_account(api_key="sk-ant-api03-secret")
    assert "secret" not in account.api_key_encrypted
    creds = pool.pooled_credentials(account)
    assert (creds.kind, creds.secret) == ("api_key", "sk-ant-api03-secret")
    assert "secret" not in repr(creds)
    expiry = utcnow() + timedelta(hours=8)
    oauth = factories.pooled_account(oauth_access_token="sk-ant-oat01-a", oauth_refresh_token="sk-ant-ort01-b",
                                     oauth_expires_at=expiry)
    creds = pool.pooled_credentials(oauth)
    assert (creds.kind, creds.secret, creds.expires_at) == ("oauth", "sk-ant-oat01-a", expiry)


def test_adding_validates_its_input(factories):
    factories.pooled_account("dup")
    with pytest.raises(Conflict):
        factories.pooled_account("dup")
    with pytest.raises(InvalidInput):
        pool.add_pooled_account("x", api_key="k", oauth_access_token="t")
    with pytest.raises(InvalidInput):
        pool.add_pooled_account("x")
    with pytest.raises(InvalidInput):
        pool.add_pooled_account("x", api_key="k", oauth_refresh_token="r")
    with pytest.raises(InvalidInput):
        pool.add_pooled_account("", api_key="k")


def test_expired_rate_limits_clear_back_to_ok(factories):
    account = factories.pooled_account()
    account.rate_limited_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert pool.account_status(account) == "rate_limited"
    assert pool.clear_expired_rate_limits() == 1
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert pool.account_status(pool.get_pooled_account(account.id)) == "ok"


def test_concurrent_activations_leave_exactly_one_active_account(app, factories):
    accounts = [factories.pooled_account(f"acct-{i}") for i in range(4)]
    errors = []

    def activate(account_id):
        with app.app_context():
            try:
                for _ in range(5):
                    pool_active.activate_pooled_account(account_id, via="test")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=activate, args=(a.id,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.rollback()  # end the read transaction: SQLite keeps its snapshot
    assert sum(a.is_active for a in pool.list_pooled_accounts()) == 1
    # every recorded switch chains from the account the previous one switched to
    trail = switches()
    for before, after in zip(trail, trail[1:]):
        assert after.from_account_id == before.to_account_id


def test_switch_active_account_reports_the_previous_account_and_whether_it_changed(factories):
    first, second = factories.pooled_account("first"), factories.pooled_account("second")
    switch = pool_active.switch_active_account(second.id, via="test")
    assert (switch.account.id, switch.previous_id, switch.previous_label, switch.changed) == (
        second.id, first.id, "first", True)
    again = pool_active.switch_active_account(second.id, via="test")
    assert (again.previous_id, again.changed) == (second.id, False)
