"""Admin JSON routes for the model catalogue and users."""
from app.models import LlmModel, User
from app.services.openai import catalogue
from app.services.accounts import users
from tests.dashboard.helpers import add_spend, refresh

MODEL = {"id": "qwen3-8b", "upstream_url": "http://vllm.internal:8000/v1/", "upstream_model": "Qwen/Qwen3-8B",
         "upstream_api_key": "upstream-secret", "input_usd_per_mtok": "0.05", "output_usd_per_mtok": 0.2,
         "cached_input_usd_per_mtok": "0.01", "user_allowed": True}


def test_admins_add_list_update_and_remove_models(make_client, factories):
    client = make_client(factories.user(admin=True))
    created = client.call("POST", "/api/v1/ai/admin/models", json=MODEL)
    assert created.status_code == 201
    assert created.json == {
        "id": "qwen3-8b", "user_allowed": True, "input_usd_per_mtok": "0.05", "cached_input_usd_per_mtok": "0.01",
        "output_usd_per_mtok": "0.2", "upstream_url": "http://vllm.internal:8000/v1", "upstream_model": "Qwen/Qwen3-8B",
        "has_upstream_api_key": True, "created_at": created.json["created_at"]}
    assert "upstream-secret" not in created.get_data(as_text=True)
    model = catalogue.get_model("qwen3-8b")
    assert model.input_micro_usd_per_mtok == 50_000 and catalogue.upstream_api_key(model) == "upstream-secret"

    listed = client.get("/api/v1/ai/admin/models").json["models"]
    assert [m["id"] for m in listed] == ["qwen3-8b"]

    updated = client.call("PATCH", "/api/v1/ai/admin/models/qwen3-8b",
                          json={"output_usd_per_mtok": "0.25", "user_allowed": False, "upstream_api_key": None,
                                "cached_input_usd_per_mtok": None})
    assert updated.status_code == 200
    assert updated.json["output_usd_per_mtok"] == "0.25" and updated.json["user_allowed"] is False
    assert updated.json["has_upstream_api_key"] is False and updated.json["cached_input_usd_per_mtok"] is None
    assert updated.json["input_usd_per_mtok"] == "0.05"  # left out, kept

    removed = client.call("DELETE", "/api/v1/ai/admin/models/qwen3-8b")
    assert removed.status_code == 200 and removed.json == {"id": "qwen3-8b", "deleted": True}
    assert LlmModel.query.count() == 0


def test_model_ids_with_slashes_work_in_paths(make_client, factories):
    factories.model("Qwen/Qwen3-8B")
    client = make_client(factories.user(admin=True))
    response = client.call("PATCH", "/api/v1/ai/admin/models/Qwen/Qwen3-8B", json={"user_allowed": False})
    assert response.status_code == 200 and response.json["id"] == "Qwen/Qwen3-8B"


def test_model_input_is_validated(make_client, factories):
    client = make_client(factories.user(admin=True))
    bad = client.call("POST", "/api/v1/ai/admin/models", json={
        "id": "x", "upstream_url": "ftp://nope", "input_usd_per_mtok": "-1", "output_usd_per_mtok": "abc"})
    assert bad.status_code == 400
    assert bad.json["error"]["fields"] == {
        "input_usd_per_mtok": ["Must be a non-negative number with at most 6 decimal places."],
        "output_usd_per_mtok": ["Must be a non-negative number with at most 6 decimal places."]}
    url = client.call("POST", "/api/v1/ai/admin/models", json={**MODEL, "upstream_url": "ftp://nope"})
    assert url.status_code == 400 and url.json["error"]["fields"] == {"upstream_url": ["Must be an http(s) URL."]}
    name = client.call("POST", "/api/v1/ai/admin/models", json={**MODEL, "id": "../etc"})
    assert name.status_code == 400 and name.json["error"]["fields"] == {"id": ["Invalid model id."]}
    factories.model("qwen3-8b")
    assert client.call("POST", "/api/v1/ai/admin/models", json=MODEL).status_code == 409
    assert client.call("PATCH", "/api/v1/ai/admin/models/nope", json={"user_allowed": True}).status_code == 404
    assert client.call("DELETE", "/api/v1/ai/admin/models/nope").status_code == 404


def test_admins_list_users_with_spend_and_change_caps_and_hep_tokens(make_client, factories):
    admin = factories.user("admin@example.com", admin=True)
    ada = factories.user("ada@example.com", cap_usd="20")
    add_spend(ada, 3_500_000)
    client = make_client(admin)
    listed = client.get("/api/v1/ai/admin/users").json
    assert [u["email"] for u in listed["users"]] == ["ada@example.com", "admin@example.com"]
    assert listed["users"][0]["spent_usd"] == "3.5" and listed["users"][0]["cap_usd"] == "20"

    response = client.call("PATCH", f"/api/v1/ai/admin/users/{ada.id}", json={
        "cap_usd": "50", "hep_tokens": "1000.25", "overage_enabled": True, "overage_cap_usd": "5"})
    assert response.status_code == 200
    assert response.json["cap_usd"] == "50" and response.json["hep_tokens"] == "1000.25"
    assert response.json["spent_usd"] == "3.5"
    refresh(ada)
    assert (ada.cap_micro_usd, ada.hep_token_balance_micro, ada.overage_enabled, ada.overage_cap_micro_usd) == (
        50_000_000, 1_000_250_000, True, 5_000_000)


def test_admins_create_users_and_see_the_account_key_once(make_client, factories):
    client = make_client(factories.user(admin=True))
    response = client.call("POST", "/api/v1/ai/admin/users", json={
        "email": "New@Example.com", "password": "long enough password", "cap_usd": "7"})
    assert response.status_code == 201
    assert response.json["email"] == "new@example.com" and response.json["cap_usd"] == "7"
    assert response.json["account_key"].startswith("ccas_")
    user = users.get_user_by_email("new@example.com")
    assert users.verify_password(user, "long enough password")
    short = client.call("POST", "/api/v1/ai/admin/users", json={"email": "b@example.com", "password": "short"})
    assert short.status_code == 400
    assert short.json["error"]["fields"] == {"password": ["Must be at least 8 characters."]}
    dup = client.call("POST", "/api/v1/ai/admin/users", json={"email": "new@example.com", "password": "x" * 10})
    assert dup.status_code == 409


def test_user_settings_are_validated_and_admins_keep_their_own_rights(make_client, factories):
    admin = factories.user(admin=True)
    client = make_client(admin)
    bad = client.call("PATCH", f"/api/v1/ai/admin/users/{admin.id}", json={"cap_usd": "-3", "hep_tokens": []})
    assert bad.status_code == 400 and set(bad.json["error"]["fields"]) == {"cap_usd", "hep_tokens"}
    demote = client.call("PATCH", f"/api/v1/ai/admin/users/{admin.id}", json={"is_admin": False})
    assert demote.status_code == 409
    assert demote.json["error"]["fields"] == {"is_admin": ["You cannot withdraw your own admin rights."]}
    assert refresh(admin).is_admin is True
    assert client.call("PATCH", "/api/v1/ai/admin/users/99999", json={"cap_usd": "1"}).status_code == 404
    assert User.query.count() == 1
