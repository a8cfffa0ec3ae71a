"""GET/POST /api/v1/ai/llm-keys, POST /llm-keys/<id>/rotate, DELETE /llm-keys/<id>, GET /models."""
from app.models import LlmKey
from tests.dashboard.helpers import refresh
from tests.lookups import key_of


def test_a_key_defaults_to_the_single_allowed_model_and_is_shown_once(make_client, factories):
    factories.model("qwen3-8b")
    factories.model("big-admin-model", user_allowed=False)
    user = factories.user()
    client = make_client(user)
    response = client.call("POST", "/api/v1/ai/llm-keys", json={"label": "laptop"})
    assert response.status_code == 201
    body = response.json
    assert body["models"] == ["qwen3-8b"] and body["label"] == "laptop"
    assert body["key"].startswith("sk-hyd-") and body["prefix"] == body["key"][:13]
    assert key_of(body["key"]).user_id == user.id

    listed = client.get("/api/v1/ai/llm-keys")
    assert listed.json == {"keys": [{k: v for k, v in body.items() if k != "key"}]}
    assert body["key"] not in listed.get_data(as_text=True)


def test_an_empty_body_is_enough_and_the_label_defaults_to_the_model(make_client, factories):
    factories.model("qwen3-8b")
    response = make_client(factories.user()).call("POST", "/api/v1/ai/llm-keys")
    assert response.status_code == 201 and response.json["label"] == "qwen3-8b"


def test_several_allowed_models_need_a_choice_and_the_error_names_them(make_client, factories):
    factories.model("qwen3-8b")
    factories.model("llama-3-70b")
    client = make_client(factories.user())
    response = client.call("POST", "/api/v1/ai/llm-keys", json={"label": "x"})
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"model": ["Choose one of: llama-3-70b, qwen3-8b."]}
    assert "llama-3-70b, qwen3-8b" in response.json["error"]["message"]
    chosen = client.call("POST", "/api/v1/ai/llm-keys", json={"label": "x", "model": "llama-3-70b"})
    assert chosen.status_code == 201 and chosen.json["models"] == ["llama-3-70b"]


def test_models_a_user_may_not_use_are_refused(make_client, factories):
    factories.model("qwen3-8b")
    factories.model("admin-only", user_allowed=False)
    client = make_client(factories.user())
    response = client.call("POST", "/api/v1/ai/llm-keys", json={"model": "admin-only"})
    assert response.status_code == 400 and response.json["error"]["fields"] == {"model": ["Choose one of: qwen3-8b."]}
    wrong_types = client.call("POST", "/api/v1/ai/llm-keys", json={"model": ["qwen3-8b"], "label": 3})
    assert wrong_types.json["error"]["fields"] == {"model": ["Not a valid string."], "label": ["Not a valid string."]}
    too_long = client.call("POST", "/api/v1/ai/llm-keys", json={"label": "l" * 121})
    assert too_long.json["error"]["fields"] == {"label": ["Longer than maximum length 120."]}
    assert LlmKey.query.count() == 0


def test_admins_may_bind_any_model_and_see_them_all(make_client, factories):
    factories.model("qwen3-8b")
    factories.model("admin-only", user_allowed=False)
    client = make_client(factories.user(admin=True))
    assert [m["id"] for m in client.get("/api/v1/ai/models").json["models"]] == ["admin-only", "qwen3-8b"]
    assert client.call("POST", "/api/v1/ai/llm-keys", json={"model": "admin-only"}).status_code == 201


def test_the_model_list_shows_prices_but_never_upstream_details(make_client, factories):
    factories.model("qwen3-8b", input_usd="0.05", output_usd="0.2", cached_input_usd="0.01",
                    upstream_api_key="upstream-secret-key")
    factories.model("admin-only", user_allowed=False)
    response = make_client(factories.user()).get("/api/v1/ai/models")
    assert response.json == {"models": [{"id": "qwen3-8b", "user_allowed": True, "input_usd_per_mtok": "0.05",
                                         "cached_input_usd_per_mtok": "0.01", "output_usd_per_mtok": "0.2"}]}
    assert "upstream" not in response.get_data(as_text=True)


def test_rotating_a_key_keeps_label_and_models_and_kills_the_old_secret(make_client, factories):
    model = factories.model("qwen3-8b")
    user = factories.user()
    key = factories.llm_key(user, [model], label="ci")
    response = make_client(user).call("POST", f"/api/v1/ai/llm-keys/{key.id}/rotate")
    assert response.status_code == 200
    assert response.json["label"] == "ci" and response.json["models"] == ["qwen3-8b"]
    assert response.json["key"] != key.token and response.json["rotated_at"] is not None
    assert key_of(key.token) is None
    assert key_of(response.json["key"]).id == key.id


def test_deleting_a_key_stops_it_and_removes_it_from_the_list(make_client, factories):
    model = factories.model("qwen3-8b")
    user = factories.user()
    key = factories.llm_key(user, [model])
    client = make_client(user)
    response = client.call("DELETE", f"/api/v1/ai/llm-keys/{key.id}")
    assert response.status_code == 200 and response.json == {"id": key.id, "deleted": True}
    assert key_of(key.token) is None
    assert refresh(key).deleted_at is not None
    assert client.get("/api/v1/ai/llm-keys").json == {"keys": []}
    assert client.call("DELETE", f"/api/v1/ai/llm-keys/{key.id}").status_code == 404
    assert client.call("POST", f"/api/v1/ai/llm-keys/{key.id}/rotate").status_code == 404


def test_another_users_key_is_404_and_untouched(make_client, factories):
    model = factories.model("qwen3-8b")
    owner = factories.user()
    key = factories.llm_key(owner, [model])
    client = make_client(factories.user())
    for method, path in (("POST", f"/api/v1/ai/llm-keys/{key.id}/rotate"), ("DELETE", f"/api/v1/ai/llm-keys/{key.id}")):
        response = client.call(method, path)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/ai/llm-keys").json == {"keys": []}
    assert key_of(key.token).id == key.id
    assert refresh(key).rotated_at is None and key.deleted_at is None
