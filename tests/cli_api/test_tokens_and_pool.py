"""Usage token (mint, show, rotate) and the pool (cached usage, audited activation) through the CLI API."""
from sqlalchemy import select

from app.extensions import db
from app.models import PoolSwitch
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services.credentials import user_tokens
from app.services.pool.usage_snapshot import SOURCE_USAGE_ENDPOINT, pool_snapshot, record_usage_update
from tests.cli_api.conftest import assert_error


# usage token ------------------------------------------------------------------------------

def test_show_before_any_token_was_minted_is_404(as_ada):
    assert_error(as_ada.get("/usage-token"), 404, "not_found", "no usage token has been minted yet")


def test_mint_then_show_then_mint_again_gives_the_same_token(as_ada, ada):
    minted = as_ada.post("/usage-token")
    assert minted.status_code == 201
    body = minted.get_json()
    assert body["created"] is True and body["token"].startswith("usg_")
    assert body["usage_url"] == "http://localhost/usage"
    assert user_tokens.user_for_usage_token(body["token"]).id == ada.id
    again = as_ada.post("/usage-token")
    assert again.status_code == 200
    assert again.get_json() == {**body, "created": False}
    shown = as_ada.get("/usage-token").get_json()
    assert shown == {"token": body["token"], "usage_url": "http://localhost/usage"}


def test_rotate_replaces_the_token_and_the_old_one_dies(as_ada, ada, factories):
    old = factories.usage_token(ada)
    body = as_ada.post("/usage-token/rotate").get_json()
    assert body["token"].startswith("usg_") and body["token"] != old
    db.session.rollback()
    assert user_tokens.user_for_usage_token(old) is None
    assert user_tokens.user_for_usage_token(body["token"]).id == ada.id
    assert as_ada.get("/usage-token").get_json()["token"] == body["token"]


def test_each_user_sees_only_their_own_usage_token(as_ada, factories):
    bob = factories.user()
    bobs = factories.usage_token(bob)
    assert_error(as_ada.get("/usage-token"), 404, "not_found")
    mine = as_ada.post("/usage-token").get_json()["token"]
    assert mine != bobs


# pooled usage -----------------------------------------------------------------------------

def test_usage_is_the_same_snapshot_the_usage_api_serves(as_ada, factories):
    team = factories.pooled_account("team")
    factories.pooled_account("max")
    record_usage_update(team.id, {"windows": {
        "five_hour": {"utilization_percent": 42.0, "resets_at": "2030-01-01T05:00:00Z"},
        "seven_day": {"utilization_percent": 7.5, "resets_at": "2030-01-07T00:00:00Z"}}},
        source=SOURCE_USAGE_ENDPOINT)
    body = as_ada.get("/usage").get_json()
    db.session.rollback()
    assert body == pool_snapshot(pool.list_pooled_accounts())
    first = body["accounts"][0]
    assert (first["label"], first["active"], first["status"]) == ("team", True, "ok")
    assert first["windows"]["five_hour"]["utilization_percent"] == 42.0
    assert "sk-ant" not in str(body)  # never a credential


def test_usage_of_an_empty_pool(as_ada):
    assert as_ada.get("/usage").get_json() == {"version": 1, "fetched_at": None, "accounts": []}


# activation -------------------------------------------------------------------------------

def test_activate_switches_the_active_account_audited_with_the_key_owner(as_ada, ada, factories):
    first, second = factories.pooled_account("first"), factories.pooled_account("second")
    response = as_ada.post(f"/usage/accounts/{second.id}/activate")
    assert response.status_code == 200
    body = response.get_json()
    assert body["changed"] is True
    assert (body["account"]["id"], body["account"]["active"]) == (second.id, True)
    db.session.rollback()
    assert pool_active.active_pooled_account().id == second.id
    switch = db.session.scalars(select(PoolSwitch).order_by(PoolSwitch.id.desc())).first()
    assert (switch.from_account_id, switch.to_account_id, switch.actor_user_id, switch.via) == (
        first.id, second.id, ada.id, "cli_api")


def test_activating_the_active_account_changes_nothing(as_ada, factories):
    first = factories.pooled_account("first")
    before = db.session.scalar(select(db.func.count(PoolSwitch.id)))
    body = as_ada.post(f"/usage/accounts/{first.id}/activate").get_json()
    assert body["changed"] is False and body["account"]["active"] is True
    assert db.session.scalar(select(db.func.count(PoolSwitch.id))) == before


def test_activating_an_unknown_or_disabled_account_fails_clearly(as_ada, factories):
    factories.pooled_account("first")
    spare = factories.pooled_account("spare")
    assert_error(as_ada.post("/usage/accounts/9999/activate"), 404, "not_found", "no pooled account with id 9999")
    assert_error(as_ada.post("/usage/accounts/abc/activate"), 404, "not_found")
    pool.set_pooled_account_disabled(spare.id, True)
    assert_error(as_ada.post(f"/usage/accounts/{spare.id}/activate"), 409, "conflict", "disabled")
    db.session.rollback()
    assert pool_active.active_pooled_account().label == "first"
