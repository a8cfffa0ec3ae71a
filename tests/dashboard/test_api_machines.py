"""GET /api/v1/ai/machines with per-machine usage, and creating, rotating, revoking, passthrough."""
from app.models import Machine
from tests.dashboard.helpers import add_claude_request, days_ago, refresh
from tests.lookups import machine_of


def test_machines_list_usage_by_kind_over_the_window(make_client, factories):
    user = factories.user()
    laptop = factories.machine(user, "laptop")
    factories.machine(user, "desktop", passthrough=True)
    add_claude_request(laptop, input_tokens=100, output_tokens=50, cache_creation=30, cache_5m=10, cache_1h=20,
                       cache_read=400, cost_micro_usd=1_250_000, started_at=days_ago(2))
    add_claude_request(laptop, input_tokens=1, output_tokens=2, cache_read=3, cost_micro_usd=5, started_at=days_ago(0))
    add_claude_request(laptop, input_tokens=999_999, cost_micro_usd=99_000_000, started_at=days_ago(31))  # too old
    other_machine = factories.machine(factories.user())
    add_claude_request(other_machine, input_tokens=7, cost_micro_usd=7)

    body = make_client(user).get("/api/v1/ai/machines").json
    assert body["window_days"] == 30
    assert [m["name"] for m in body["machines"]] == ["desktop", "laptop"]  # newest first
    desk, lap = body["machines"]
    assert desk["usage"] == {"requests": 0, "api_equivalent_usd": "0",
                             "tokens": {"input": 0, "output": 0, "cache_creation": 0, "cache_creation_5m": 0,
                                        "cache_creation_1h": 0, "cache_read": 0}}
    assert desk["passthrough"] is True and desk["last_seen_at"] is None
    assert lap["usage"] == {"requests": 2, "api_equivalent_usd": "1.250005",
                            "tokens": {"input": 101, "output": 52, "cache_creation": 30, "cache_creation_5m": 10,
                                       "cache_creation_1h": 20, "cache_read": 403}}
    assert lap["passthrough"] is False and lap["revoked"] is False
    assert lap["token_prefix"] == laptop.token_prefix and lap["last_seen_at"].endswith("Z")
    assert "token" not in lap and laptop.token not in str(body)


def test_creating_a_machine_shows_its_token_once(make_client, factories):
    user = factories.user()
    client = make_client(user)
    response = client.call("POST", "/api/v1/ai/machines", json={"name": "ci runner", "passthrough": True})
    assert response.status_code == 201
    token = response.json["token"]
    assert token.startswith("cct_") and response.json["passthrough"] is True
    assert machine_of(token).user_id == user.id
    assert token not in client.get("/api/v1/ai/machines").get_data(as_text=True)
    bad = client.call("POST", "/api/v1/ai/machines", json={"name": "   "})
    assert bad.status_code == 400 and bad.json["error"]["fields"] == {"name": ["Must not be empty."]}
    long = client.call("POST", "/api/v1/ai/machines", json={"name": "x" * 121, "passthrough": "yes"})
    assert long.json["error"]["fields"] == {"name": ["Longer than maximum length 120."],
                                            "passthrough": ["Not a valid boolean."]}


def test_rotating_a_machine_kills_the_old_token(make_client, factories):
    user = factories.user()
    machine = factories.machine(user)
    response = make_client(user).call("POST", f"/api/v1/ai/machines/{machine.id}/rotate")
    assert response.status_code == 200
    new_token = response.json["token"]
    assert machine_of(machine.token) is None
    assert machine_of(new_token).id == machine.id
    assert response.json["token_prefix"] == new_token[:10]


def test_revoking_keeps_history_and_a_revoked_machine_cannot_be_rotated(make_client, factories):
    user = factories.user()
    machine = factories.machine(user)
    add_claude_request(machine, input_tokens=10, cost_micro_usd=10)
    client = make_client(user)
    response = client.call("POST", f"/api/v1/ai/machines/{machine.id}/revoke")
    assert response.status_code == 200
    assert response.json["revoked"] is True and response.json["token_prefix"] is None
    assert response.json["usage"]["requests"] == 1
    assert machine_of(machine.token) is None
    assert refresh(machine).revoked_at is not None
    again = client.call("POST", f"/api/v1/ai/machines/{machine.id}/rotate")
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_passthrough_is_switched_with_patch(make_client, factories):
    user = factories.user()
    machine = factories.machine(user)
    client = make_client(user)
    response = client.call("PATCH", f"/api/v1/ai/machines/{machine.id}", json={"passthrough": True})
    assert response.status_code == 200 and response.json["passthrough"] is True
    assert refresh(machine).passthrough is True
    missing = client.call("PATCH", f"/api/v1/ai/machines/{machine.id}", json={})
    assert missing.status_code == 400
    assert missing.json["error"]["fields"] == {"passthrough": ["Missing data for required field."]}


def test_another_users_machine_is_404_for_every_action(make_client, factories):
    owner = factories.user()
    machine = factories.machine(owner)
    client = make_client(factories.user())
    for method, path, body in (("POST", f"/api/v1/ai/machines/{machine.id}/rotate", None),
                               ("POST", f"/api/v1/ai/machines/{machine.id}/revoke", None),
                               ("PATCH", f"/api/v1/ai/machines/{machine.id}", {"passthrough": True}),
                               ("POST", "/api/v1/ai/machines/987654/rotate", None)):
        response = client.call(method, path, json=body)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"
    assert refresh(machine).revoked_at is None and machine.passthrough is False
    assert machine_of(machine.token).id == machine.id
    assert Machine.query.count() == 1
