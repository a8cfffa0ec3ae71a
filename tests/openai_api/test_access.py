"""Keys and access: bearer sk-hyd- keys only, model binding, user-allowed models, /v1/models."""
import pytest

from app.services.openai import keys as llm_keys
from tests.openai_api.conftest import auth, ledger_rows, post_chat

OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}


def assert_openai_error(response, status, code, error_type=None):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == OPENAI_ERROR_KEYS
    assert error["code"] == code
    if error_type:
        assert error["type"] == error_type
    return error


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic c2staHlkLXg6"},
    {"Authorization": "Bearer sk-hyd-not-a-real-key"},
    {"Authorization": "Bearer usg_wrong-kind-of-token"},
    {"x-api-key": "sk-hyd-not-a-real-key"},
])
def test_requests_without_a_valid_key_are_401(client, key, upstream, headers):
    for response in (client.get("/v1/models", headers=headers),
                     client.post("/v1/chat/completions", headers=headers,
                                 json={"model": "qwen3-8b", "messages": []})):
        error = assert_openai_error(response, 401, "invalid_api_key", "invalid_request_error")
        assert "sk-hyd-not-a-real-key" not in error["message"]
        assert "x-hep-remaining-usd" not in response.headers
    assert upstream.requests == []
    assert ledger_rows() == []


def test_the_key_in_the_x_api_key_header_is_not_enough_but_bearer_is(client, key):
    assert client.get("/v1/models", headers={"x-api-key": key.token}).status_code == 401
    assert client.get("/v1/models", headers=auth(key)).status_code == 200
    assert client.get("/v1/models", headers={"Authorization": f"bearer {key.token}"}).status_code == 200


def test_rotated_and_deleted_keys_stop_working_at_once(client, key, user):
    old = key.token
    _, new = llm_keys.rotate_llm_key(user, key.id)
    assert_openai_error(client.get("/v1/models", headers=auth(old)), 401, "invalid_api_key")
    assert client.get("/v1/models", headers=auth(new)).status_code == 200
    llm_keys.delete_llm_key(user, key.id)
    assert_openai_error(client.get("/v1/models", headers=auth(new)), 401, "invalid_api_key")


def test_models_lists_exactly_what_the_key_may_call(client, factories, user, model):
    other = factories.model("other-model")
    hidden = factories.model("admin-only", user_allowed=False)
    admin = factories.user(admin=True)
    admin_key = factories.llm_key(admin, [model, hidden])
    user_key = factories.llm_key(user, [model])

    response = client.get("/v1/models", headers=auth(user_key))
    assert response.status_code == 200
    body = response.get_json()
    assert body["object"] == "list"
    assert body["data"] == [{"id": "qwen3-8b", "object": "model", "created": int(model.created_at.timestamp()),
                             "owned_by": "hep-gg"}]
    assert response.headers["x-hep-remaining-usd"] == "20"

    admin_ids = [m["id"] for m in client.get("/v1/models", headers=auth(admin_key)).get_json()["data"]]
    assert admin_ids == ["admin-only", "qwen3-8b"]
    assert other.name not in admin_ids

    # A model that stops being user-allowed disappears from a non-admin's bound key.
    from app.services.openai import catalogue
    catalogue.update_model("qwen3-8b", user_allowed=False)
    assert client.get("/v1/models", headers=auth(user_key)).get_json()["data"] == []


def test_one_model_can_be_retrieved_by_id(client, key):
    response = client.get("/v1/models/qwen3-8b", headers=auth(key))
    assert response.status_code == 200
    assert response.get_json()["id"] == "qwen3-8b"
    assert_openai_error(client.get("/v1/models/nope", headers=auth(key)), 404, "model_not_found")


def test_a_model_the_key_is_not_bound_to_is_404(client, factories, key, upstream):
    factories.model("other-model", upstream_url=upstream.url)
    for name in ("other-model", "no-such-model"):
        error = assert_openai_error(post_chat(client, key, model=name), 404, "model_not_found",
                                    "invalid_request_error")
        assert error["param"] == "model"
    assert upstream.requests == []


def test_a_bound_model_that_is_not_user_allowed_is_403_for_non_admins(client, factories, upstream):
    from app.services.accounts import users
    restricted = factories.model("restricted", upstream_url=upstream.url, user_allowed=False)
    admin = factories.user(admin=True)
    admin_key = factories.llm_key(admin, [restricted])
    assert post_chat(client, admin_key, model="restricted").status_code == 200
    # The same key once its owner is no longer an admin: bound, but not allowed.
    users.update_user(admin, is_admin=False)
    error = assert_openai_error(post_chat(client, admin_key, model="restricted"), 403, "model_not_allowed",
                                "permission_error")
    assert error["param"] == "model"
    assert len(upstream.requests) == 1


def test_unknown_v1_paths_and_methods_answer_in_the_openai_shape(client, key):
    assert_openai_error(client.get("/v1/nope", headers=auth(key)), 404, "not_found")
    response = client.get("/v1/chat/completions", headers=auth(key))
    assert_openai_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_openai_error(client.post("/ai/v1/nope"), 404, "not_found")


def test_the_api_is_mirrored_under_ai(client, key):
    response = client.get("/ai/v1/models", headers=auth(key))
    assert response.status_code == 200
    assert response.get_json()["data"][0]["id"] == "qwen3-8b"
