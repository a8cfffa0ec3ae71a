"""GET /api/v1/ai/accounts for everyone; adding, activating, disabling, removing for admins."""
from app.models import PooledAccount, PoolSwitch
from app.services.pool import accounts as pool
from tests.dashboard.helpers import record_pool_usage, refresh


def test_every_signed_in_user_sees_the_pool_with_live_usage_and_no_credentials(make_client, factories):
    first = factories.pooled_account("team", api_key="sk-ant-api03-supersecret")
    second = factories.pooled_account("max", oauth_access_token="sk-ant-oat01-alsosecret")
    record_pool_usage(first, 42.0, 12.5)
    body = make_client(factories.user()).get("/api/v1/ai/accounts")
    assert body.status_code == 200
    data = body.json
    assert data["version"] >= 1 and data["fetched_at"].endswith("Z")
    by_label = {a["label"]: a for a in data["accounts"]}
    assert by_label["team"]["active"] is True and by_label["max"]["active"] is False
    assert by_label["team"]["windows"]["five_hour"]["utilization_percent"] == 42.0
    assert by_label["team"]["windows"]["seven_day"]["resets_at"] == "2026-11-30T08:00:00Z"
    assert by_label["max"]["kind"] == "oauth" and by_label["max"]["id"] == second.id
    text = body.get_data(as_text=True)
    assert "supersecret" not in text and "alsosecret" not in text


def test_admins_add_accounts_with_an_api_key_or_oauth_tokens(make_client, factories):
    admin = factories.user(admin=True)
    client = make_client(admin)
    response = client.call("POST", "/api/v1/ai/accounts", json={"label": "team", "api_key": "sk-ant-api03-abc"})
    assert response.status_code == 201
    assert response.json["label"] == "team" and response.json["kind"] == "api_key"
    assert response.json["active"] is True  # the first account becomes active
    assert "sk-ant" not in response.get_data(as_text=True)
    oauth = client.call("POST", "/api/v1/ai/accounts", json={
        "label": "max", "oauth_access_token": "sk-ant-oat01-x", "oauth_refresh_token": "sk-ant-ort01-y",
        "oauth_expires_at": "2026-12-01T10:00:00+02:00"})
    assert oauth.status_code == 201 and oauth.json["active"] is False
    stored = db_account(oauth.json["id"])
    assert stored.oauth_expires_at.isoformat() == "2026-12-01T08:00:00"
    assert pool.pooled_credentials(stored).secret == "sk-ant-oat01-x"
    switch = PoolSwitch.query.one()
    assert switch.actor_user_id == admin.id and switch.via == "dashboard"


def db_account(account_id):
    from app.extensions import db
    db.session.rollback()
    return db.session.get(PooledAccount, account_id)


def test_adding_an_account_is_validated(make_client, factories):
    client = make_client(factories.user(admin=True))
    cases = [
        ({"api_key": "k"}, {"label": ["Missing data for required field."]}),
        ({"label": "x"}, {"api_key": ["Give exactly one of api_key or oauth_access_token."]}),
        ({"label": "x", "api_key": "a", "oauth_access_token": "b"},
         {"api_key": ["Give exactly one of api_key or oauth_access_token."]}),
        ({"label": "x", "api_key": "a", "oauth_refresh_token": "r"},
         {"oauth_refresh_token": ["Only goes with an OAuth access token."]}),
        ({"label": "x", "oauth_access_token": "a", "oauth_expires_at": "tomorrow"},
         {"oauth_expires_at": ["Not a valid datetime."]}),
        ({"label": "x", "api_key": "has spaces in it"},
         {"api_key": ["Must be a non-empty string without spaces."]}),
    ]
    for body, fields in cases:
        response = client.call("POST", "/api/v1/ai/accounts", json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["fields"] == fields, body
        assert "has spaces" not in response.get_data(as_text=True)
    factories.pooled_account("taken")
    dup = client.call("POST", "/api/v1/ai/accounts", json={"label": "taken", "api_key": "k"})
    assert dup.status_code == 409
    assert PooledAccount.query.count() == 1


def test_activating_switches_the_active_account_and_records_who(make_client, factories):
    admin = factories.user(admin=True)
    first = factories.pooled_account("first")
    second = factories.pooled_account("second")
    response = make_client(admin).call("POST", f"/api/v1/ai/accounts/{second.id}/activate")
    assert response.status_code == 200 and response.json["active"] is True
    assert refresh(second).is_active and not refresh(first).is_active
    switch = PoolSwitch.query.filter_by(to_account_id=second.id).one()
    assert (switch.from_account_id, switch.actor_user_id, switch.via) == (first.id, admin.id, "dashboard")


def test_disable_enable_and_remove(make_client, factories):
    client = make_client(factories.user(admin=True))
    first = factories.pooled_account("first")
    second = factories.pooled_account("second")
    active = client.call("PATCH", f"/api/v1/ai/accounts/{first.id}", json={"disabled": True})
    assert active.status_code == 409  # the active account cannot be disabled
    disabled = client.call("PATCH", f"/api/v1/ai/accounts/{second.id}", json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json["status"] == "disabled"
    assert client.call("POST", f"/api/v1/ai/accounts/{second.id}/activate").status_code == 409
    assert client.call("PATCH", f"/api/v1/ai/accounts/{second.id}", json={"disabled": "no"}).status_code == 400
    client.call("PATCH", f"/api/v1/ai/accounts/{second.id}", json={"disabled": False})
    first_id = first.id
    removed = client.call("DELETE", f"/api/v1/ai/accounts/{first_id}")
    assert removed.status_code == 200 and removed.json == {"id": first_id, "deleted": True}
    assert [a.label for a in PooledAccount.query.all()] == ["second"]
    assert refresh(second).is_active  # the next healthy account took over


def test_unknown_pooled_accounts_are_404(make_client, factories):
    client = make_client(factories.user(admin=True))
    for method, path, body in (("POST", "/api/v1/ai/accounts/4242/activate", None),
                               ("PATCH", "/api/v1/ai/accounts/4242", {"disabled": True}),
                               ("DELETE", "/api/v1/ai/accounts/4242", None)):
        response = client.call(method, path, json=body)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_non_admins_cannot_change_the_pool(make_client, factories):
    account = factories.pooled_account("first")
    other = factories.pooled_account("second")
    client = make_client(factories.user())
    for method, path, body in (("POST", "/api/v1/ai/accounts", {"label": "x", "api_key": "k"}),
                               ("POST", f"/api/v1/ai/accounts/{other.id}/activate", None),
                               ("DELETE", f"/api/v1/ai/accounts/{account.id}", None)):
        response = client.call(method, path, json=body)
        assert response.status_code == 403 and response.json["error"]["code"] == "permission_denied"
    assert refresh(account).is_active and PooledAccount.query.count() == 2
