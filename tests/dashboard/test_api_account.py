"""GET/PATCH /api/v1/ai/account, POST /api/v1/ai/account/rotate and the usage token endpoints."""
from app.services.credentials import user_tokens
from tests.dashboard.helpers import add_spend, days_ago, refresh


def test_account_shows_profile_cap_spend_overage_balance_and_key_prefix(make_client, factories):
    user = factories.user("ada@example.com", cap_usd="25", overage=True, overage_cap_usd="10", hep_tokens="150.5")
    add_spend(user, 1_250_000)
    add_spend(user, 2_000_000, at=days_ago(3), overage_micro_usd=500_000)
    add_spend(user, 9_000_000, at=days_ago(31))  # outside the rolling window
    add_spend(factories.user(), 7_000_000)  # someone else's
    user.reserved_micro_usd = 300_000
    body = make_client(user).get("/api/v1/ai/account").json
    assert body["email"] == "ada@example.com" and body["is_admin"] is False
    assert body["account_key_prefix"] == refresh(user).ai_account.key_prefix
    assert body["account_key_prefix"].startswith("ccas_") and len(body["account_key_prefix"]) == 11
    assert body["cap_usd"] == "25"
    assert body["spent_usd"] == "3.25"
    assert body["remaining_usd"] == "21.75"
    assert body["in_flight_usd"] == "0.3"
    assert body["overage"] == {"enabled": True, "cap_usd": "10", "spent_usd": "0.5", "remaining_usd": "9.5"}
    assert body["hep_tokens"] == "150.5"
    assert body["hep_tokens_per_usd"] == "100"
    assert body["hep_tokens_value_usd"] == "1.505"
    assert body["window_days"] == 30
    assert "account_key" not in body


def test_overage_opt_in_and_cap_are_saved(make_client, factories):
    user = factories.user()
    client = make_client(user)
    response = client.call("PATCH", "/api/v1/ai/account", json={"overage_enabled": True, "overage_cap_usd": "12.5"})
    assert response.status_code == 200
    assert response.json["overage"]["enabled"] is True and response.json["overage"]["cap_usd"] == "12.5"
    assert refresh(user).overage_enabled is True and user.overage_cap_micro_usd == 12_500_000
    # Fields left out keep their value.
    client.call("PATCH", "/api/v1/ai/account", json={"overage_enabled": False})
    assert refresh(user).overage_enabled is False and user.overage_cap_micro_usd == 12_500_000


def test_overage_settings_are_validated_field_by_field(make_client, factories):
    user = factories.user()
    client = make_client(user)
    response = client.call("PATCH", "/api/v1/ai/account",
                           json={"overage_enabled": "maybe", "overage_cap_usd": "-1", "cap_usd": "1000"})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"] == {
        "overage_enabled": ["Not a valid boolean."],
        "overage_cap_usd": ["Must be a non-negative number with at most 6 decimal places."],
        "cap_usd": ["Unknown field."],  # users cannot raise their own cap
    }
    for bad in ({"overage_cap_usd": "1.0000001"}, {"overage_cap_usd": True}, {"overage_cap_usd": "NaN"},
                {"overage_cap_usd": "2000000000"}, {"overage_enabled": 1}):
        assert client.call("PATCH", "/api/v1/ai/account", json=bad).status_code == 400, bad
    assert refresh(user).overage_enabled is False and user.overage_cap_micro_usd == 0


def test_rotating_the_account_key_shows_the_new_key_once_and_kills_the_old(make_client, factories):
    user = factories.user()
    client = make_client(user)
    response = client.call("POST", "/api/v1/ai/account/rotate")
    assert response.status_code == 200
    new_key = response.json["account_key"]
    assert new_key.startswith("ccas_") and len(new_key) > 40
    assert response.json["account_key_prefix"] == new_key[:11]
    assert user_tokens.user_for_account_key(user.account_key) is None
    assert user_tokens.user_for_account_key(new_key).id == user.id
    assert new_key not in client.get("/api/v1/ai/account").get_data(as_text=True)


def test_usage_token_status_reveal_and_rotate(make_client, factories):
    user = factories.user()
    client = make_client(user)
    assert client.get("/api/v1/ai/usage-token").json == {"exists": False, "prefix": None, "created_at": None,
                                                         "rotated_at": None}
    missing = client.call("POST", "/api/v1/ai/usage-token", json={"action": "reveal"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"

    minted = client.call("POST", "/api/v1/ai/usage-token", json={"action": "rotate"})
    assert minted.status_code == 200
    first = minted.json["token"]
    assert first.startswith("usg_") and minted.json["exists"] is True and minted.json["prefix"] == first[:10]
    status = client.get("/api/v1/ai/usage-token").json
    assert status["exists"] is True and status["prefix"] == first[:10] and "token" not in status

    revealed = client.call("POST", "/api/v1/ai/usage-token", json={"action": "reveal"})
    assert revealed.json["token"] == first

    rotated = client.call("POST", "/api/v1/ai/usage-token", json={"action": "rotate"})
    second = rotated.json["token"]
    assert second != first and rotated.json["rotated_at"] is not None
    assert user_tokens.user_for_usage_token(first) is None
    assert user_tokens.user_for_usage_token(second).id == user.id


def test_usage_token_actions_are_validated(make_client, factories):
    client = make_client(factories.user())
    for body, fields in (({}, {"action": ["Missing data for required field."]}),
                         ({"action": "delete"}, {"action": ["Must be one of: reveal, rotate."]}),
                         ({"action": "reveal", "extra": 1}, {"extra": ["Unknown field."]})):
        response = client.call("POST", "/api/v1/ai/usage-token", json=body)
        assert response.status_code == 400 and response.json["error"]["fields"] == fields
    not_json = client.call("POST", "/api/v1/ai/usage-token", data=b"action=reveal",
                           content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 400


def test_users_only_ever_see_their_own_usage_token(make_client, factories):
    owner, other = factories.user(), factories.user()
    token = factories.usage_token(owner)
    response = make_client(other).call("POST", "/api/v1/ai/usage-token", json={"action": "reveal"})
    assert response.status_code == 404 and token not in response.get_data(as_text=True)
