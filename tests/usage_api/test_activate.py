"""POST /usage/accounts/<id>/activate: the switch, its audit row, the version bump, and refusals."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PoolSwitch
from app.models.base import utcnow
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active


def switches():
    db.session.rollback()
    return list(db.session.scalars(select(PoolSwitch).order_by(PoolSwitch.id)))


def activate(client, caller, account_id):
    return client.post(f"/usage/accounts/{account_id}/activate", headers=caller.headers)


@pytest.fixture
def accounts(factories):
    return factories.pooled_account("first"), factories.pooled_account("second")


def test_activation_switches_reports_and_is_audited_with_the_token_holder(client, caller, accounts):
    first, second = accounts
    before = client.get("/usage", headers=caller.headers)
    started = utcnow()
    response = activate(client, caller, second.id)
    assert response.status_code == 200
    body = response.get_json()
    assert body["changed"] is True
    assert body["previous"] == {"id": first.id, "label": "first"}
    assert (body["account"]["id"], body["account"]["label"], body["account"]["active"]) == (second.id, "second", True)
    assert body["version"] == before.get_json()["version"] + 1
    assert response.headers["Cache-Control"] == "no-store"

    switch = switches()[-1]
    assert (switch.from_account_id, switch.to_account_id, switch.from_label, switch.to_label) == (
        first.id, second.id, "first", "second")
    assert (switch.actor_user_id, switch.via) == (caller.user_id, "usage_api")
    assert started <= switch.created_at <= utcnow()
    assert pool_active.active_pooled_account().id == second.id

    after = client.get("/usage", headers={**caller.headers, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["version"] == body["version"]
    assert [(a["id"], a["active"]) for a in after.get_json()["accounts"]] == [(first.id, False), (second.id, True)]


def test_activating_the_active_account_changes_nothing(client, caller, accounts):
    first, _ = accounts
    version, count = pool.current_usage_version(), len(switches())
    body = activate(client, caller, first.id).get_json()
    assert body["changed"] is False and body["account"]["active"] is True
    assert body["previous"] == {"id": first.id, "label": "first"}
    assert body["version"] == version
    assert len(switches()) == count and pool.current_usage_version() == version


def test_any_usage_token_holder_may_switch_and_is_recorded_as_the_actor(client, factories, accounts):
    other = factories.user()
    token = factories.usage_token(other)
    response = client.post(f"/usage/accounts/{accounts[1].id}/activate", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert switches()[-1].actor_user_id == other.id


@pytest.mark.parametrize("raw", ["424242", "abc", "-1", "99999999999999999999"])
def test_unknown_accounts_are_404_and_switch_nothing(client, caller, accounts, raw):
    count, version = len(switches()), pool.current_usage_version()
    response = activate(client, caller, raw)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert len(switches()) == count and pool.current_usage_version() == version


def test_a_disabled_account_is_409_and_stays_inactive(client, caller, accounts):
    first, second = accounts
    pool.set_pooled_account_disabled(second.id, True)
    count, version = len(switches()), pool.current_usage_version()
    response = activate(client, caller, second.id)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and "disabled" in error["message"]
    assert len(switches()) == count and pool.current_usage_version() == version
    assert pool_active.active_pooled_account().id == first.id


def test_only_post_activates(client, caller, accounts):
    response = client.get(f"/usage/accounts/{accounts[1].id}/activate", headers=caller.headers)
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert pool_active.active_pooled_account().id == accounts[0].id
