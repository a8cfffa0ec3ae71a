"""ccas usage, usage-token and activate against a running server."""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.extensions import db
from app.models import PoolSwitch
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services.credentials import user_tokens
from app.services.pool.usage_snapshot import SOURCE_USAGE_ENDPOINT, pool_snapshot, record_usage_update


def iso_in(delta):
    return (datetime.now(timezone.utc) + delta).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_usage_table_shows_both_windows_and_marks_the_active_account(logged_in, factories):
    team = factories.pooled_account("team")
    spare = factories.pooled_account("spare-max")
    record_usage_update(team.id, {"windows": {
        "five_hour": {"utilization_percent": 42.0, "resets_at": iso_in(timedelta(hours=3, minutes=30))},
        "seven_day": {"utilization_percent": 7.5, "resets_at": iso_in(timedelta(days=3, minutes=30))}}},
        source=SOURCE_USAGE_ENDPOINT)
    pool.set_pooled_account_disabled(spare.id, True)

    lines = logged_in.ok("usage").stdout.splitlines()

    assert lines[0].split() == ["ID", "ACCOUNT", "STATUS", "5H", "5H", "RESETS", "7D", "7D", "RESETS"]
    assert lines[1].split() == ["*", str(team.id), "team", "ok", "42%", "in", "3h", "30m", "7.5%", "in", "3d", "00h"]
    assert lines[2].split() == [str(spare.id), "spare-max", "disabled", "-", "-", "-", "-"]
    assert lines[-1].startswith("* = active account. Cached usage, last fetched 20")


def test_usage_json_is_the_pool_snapshot(logged_in, factories):
    factories.pooled_account("team")
    body = json.loads(logged_in.ok("usage", "--json").stdout)
    assert body == pool_snapshot(pool.list_pooled_accounts())


def test_usage_of_an_empty_pool(logged_in):
    assert logged_in.ok("usage").stdout.strip() == "The pool has no accounts yet."


def test_usage_token_is_minted_once_then_shown_then_rotated(logged_in, ada, live_server):
    first = logged_in.ok("usage-token")
    token = first.stdout.strip()
    assert token.startswith("usg_") and first.stdout == token + "\n"
    assert "minted a new usage token" in first.stderr
    assert f"on {live_server.url}/usage" in first.stderr
    assert user_tokens.user_for_usage_token(token).id == ada.id

    again = logged_in.ok("usage-token")
    assert again.stdout.strip() == token and "minted" not in again.stderr

    rotated = logged_in.ok("usage-token", "--rotate")
    new = rotated.stdout.strip()
    assert new.startswith("usg_") and new != token
    assert "the old one stopped working" in rotated.stderr
    assert user_tokens.user_for_usage_token(token) is None
    assert user_tokens.user_for_usage_token(new).id == ada.id


def test_activate_switches_the_account_recorded_with_the_user(logged_in, ada, factories):
    first, second = factories.pooled_account("first"), factories.pooled_account("second")
    out = logged_in.ok("activate", second.id).stdout
    assert out.strip() == f"Pooled account {second.id} 'second' is now active."
    assert pool_active.active_pooled_account().id == second.id
    switch = db.session.scalars(select(PoolSwitch).order_by(PoolSwitch.id.desc())).first()
    assert (switch.from_account_id, switch.to_account_id, switch.actor_user_id, switch.via) == (
        first.id, second.id, ada.id, "cli_api")
    again = logged_in.ok("activate", second.id).stdout
    assert again.strip() == f"Pooled account {second.id} 'second' was already active."
    assert "* " in logged_in.ok("usage").stdout.splitlines()[2]


def test_activate_unknown_or_disabled_accounts_fails_clearly(logged_in, factories):
    factories.pooled_account("first")
    spare = factories.pooled_account("spare")
    pool.set_pooled_account_disabled(spare.id, True)
    logged_in.fails(1, "no pooled account with id 999", "activate", 999)
    logged_in.fails(1, f"pooled account {spare.id} is disabled", "activate", spare.id)
    assert pool_active.active_pooled_account().label == "first"
