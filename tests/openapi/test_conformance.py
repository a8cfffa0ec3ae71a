"""Spot checks: real responses of the running test app fit the schemas the description gives them."""
import pytest

from tests.dashboard.helpers import DashboardClient
from tests.openapi.helpers import assert_conforms, fetch_spec


@pytest.fixture
def spec(client):
    return fetch_spec(client)


@pytest.fixture
def owner(factories):
    return factories.user(admin=True)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_usage_api_responses_fit_their_schemas(client, spec, factories, owner):
    first = factories.pooled_account("first")
    factories.pooled_account("second", oauth_access_token="sk-ant-oat01-placeholder")
    headers = bearer(factories.usage_token(owner))
    assert_conforms(spec, "/usage", "GET", client.get("/usage", headers=headers))
    assert_conforms(spec, "/usage/{account_id}", "GET", client.get(f"/usage/{first.id}", headers=headers))
    assert_conforms(spec, "/usage/{account_id}", "GET", client.get("/usage/999999", headers=headers))
    assert_conforms(spec, "/usage", "GET", client.get("/usage", headers=bearer("usg_wrong")))
    activated = client.post(f"/usage/accounts/{first.id}/activate", headers=headers)
    assert_conforms(spec, "/usage/accounts/{account_id}/activate", "POST", activated)


def test_openai_models_fit_their_schemas(client, spec, factories, owner):
    model = factories.model("qwen3-8b")
    headers = bearer(factories.llm_key(owner, [model]).token)
    listed = client.get("/v1/models", headers=headers)
    assert listed.json["data"][0]["id"] == "qwen3-8b"
    assert_conforms(spec, "/v1/models", "GET", listed)
    assert_conforms(spec, "/v1/models/{model_id}", "GET", client.get("/v1/models/qwen3-8b", headers=headers))
    assert_conforms(spec, "/v1/models/{model_id}", "GET", client.get("/v1/models/nope", headers=headers))
    assert_conforms(spec, "/v1/models", "GET", client.get("/v1/models"))
    refused = client.post("/v1/chat/completions", json={"model": "qwen3-8b", "messages": []})
    assert_conforms(spec, "/v1/chat/completions", "POST", refused)


def test_proxy_refusals_fit_the_anthropic_error_schema(client, spec):
    refused = client.post("/anthropic/cct_unknown/v1/messages", json={"model": "m", "messages": []})
    assert refused.status_code == 401
    assert_conforms(spec, "/anthropic/{proxy_token}/v1/messages", "POST", refused)


def test_cli_api_responses_fit_their_schemas(client, spec, factories, owner):
    headers = bearer(owner.account_key)
    assert_conforms(spec, "/api/v1/ai/cli/me", "GET", client.get("/api/v1/ai/cli/me", headers=headers))
    created = client.post("/api/v1/ai/cli/machines", json={"name": "laptop"}, headers=headers)
    assert_conforms(spec, "/api/v1/ai/cli/machines", "POST", created)
    assert_conforms(spec, "/api/v1/ai/cli/machines", "GET", client.get("/api/v1/ai/cli/machines", headers=headers))
    machine_id = created.json["machine"]["id"]
    assert_conforms(spec, "/api/v1/ai/cli/machines/{machine_id}", "GET",
                    client.get(f"/api/v1/ai/cli/machines/{machine_id}", headers=headers))
    minted = client.post("/api/v1/ai/cli/usage-token", headers=headers)
    assert_conforms(spec, "/api/v1/ai/cli/usage-token", "POST", minted)
    assert_conforms(spec, "/api/v1/ai/cli/usage", "GET", client.get("/api/v1/ai/cli/usage", headers=headers))


def test_dashboard_responses_fit_their_schemas(app, spec, factories, owner):
    factories.pooled_account("pool")
    model = factories.model("dash-model")
    browser = DashboardClient(app, use_cookies=True)
    assert_conforms(spec, "/api/v1/ai/account", "GET", browser.get("/api/v1/ai/account"))
    browser.login(owner)
    assert_conforms(spec, "/api/v1/ai/account", "GET", browser.get("/api/v1/ai/account"))
    created = browser.call("POST", "/api/v1/ai/machines", {"name": "desk"})
    assert_conforms(spec, "/api/v1/ai/machines", "POST", created)
    assert_conforms(spec, "/api/v1/ai/machines", "GET", browser.get("/api/v1/ai/machines"))
    key = browser.call("POST", "/api/v1/ai/llm-keys", {"label": "k", "model": model.name})
    assert_conforms(spec, "/api/v1/ai/llm-keys", "POST", key)
    assert_conforms(spec, "/api/v1/ai/llm-keys", "GET", browser.get("/api/v1/ai/llm-keys"))
    assert_conforms(spec, "/api/v1/ai/accounts", "GET", browser.get("/api/v1/ai/accounts"))
    assert_conforms(spec, "/api/v1/ai/admin/models", "GET", browser.get("/api/v1/ai/admin/models"))
    assert_conforms(spec, "/api/v1/ai/admin/users", "GET", browser.get("/api/v1/ai/admin/users"))
    assert_conforms(spec, "/api/v1/ai/usage-token", "POST",
                    browser.call("POST", "/api/v1/ai/usage-token", {"action": "rotate"}))
    assert_conforms(spec, "/api/v1/ai/skills", "GET", browser.get("/api/v1/ai/skills"))
    no_csrf = browser.call("POST", "/api/v1/ai/machines", {"name": "x"}, csrf=False)
    assert no_csrf.status_code == 400
    assert_conforms(spec, "/api/v1/ai/machines", "POST", no_csrf)


def test_health_fits_its_schema(client, spec):
    assert_conforms(spec, "/healthz", "GET", client.get("/healthz"))
