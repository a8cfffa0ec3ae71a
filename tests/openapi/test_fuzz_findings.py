"""What schemathesis found against a live instance, pinned as plain tests."""
import pytest

from app.services.openai import catalogue
from app.services.pool import accounts as pool
from app.services.errors import InvalidInput
from tests.dashboard.helpers import DashboardClient


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_an_id_beyond_the_integer_range_is_404_whatever_the_method(app, factories, method):
    browser = DashboardClient(app, use_cookies=True).login(factories.user(admin=True))
    for path in ("/api/v1/ai/accounts/2147483648", "/api/v1/ai/machines/99999999999999999999"):
        response = browser.call(method, path, {})
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json["error"]["code"] == "not_found"
    assert browser.call("DELETE", "/api/v1/ai/accounts/2147483647", {}).status_code == 404


def test_the_largest_id_still_routes(client, factories):
    user = factories.user()
    response = client.get("/api/v1/ai/cli/machines/2147483647", headers={"Authorization": f"Bearer {user.account_key}"})
    assert response.status_code == 404
    assert "machine" in response.json["error"]["message"].lower()


@pytest.mark.parametrize("credential", ["sk-ant-\U0006efec-x", "sk-ant-é", "tab\there"])
def test_a_pooled_credential_that_cannot_travel_in_a_header_is_refused(app, factories, credential):
    browser = DashboardClient(app, use_cookies=True).login(factories.user(admin=True))
    response = browser.call("POST", "/api/v1/ai/accounts", {"label": "odd", "api_key": credential})
    assert response.status_code == 400
    assert "api_key" in response.json["error"]["fields"]
    with pytest.raises(InvalidInput):
        pool.add_pooled_account("odd-oauth", oauth_access_token=credential)


def test_an_upstream_api_key_that_cannot_travel_in_a_header_is_refused(factories):
    with pytest.raises(InvalidInput):
        factories.model("m1", upstream_api_key="key-\u20ac")
    model = factories.model("m2", upstream_api_key="  sk-upstream-placeholder  ")
    assert catalogue.upstream_api_key(model) == "sk-upstream-placeholder"
    with pytest.raises(InvalidInput):
        catalogue.update_model("m2", upstream_api_key="x\u00a0y")


@pytest.mark.parametrize("path, body", [
    ("/api/v1/ai/login", {"email": "a\x00@example.com", "password": "whatever"}),
    ("/api/v1/ai/admin/users", {"email": "nul\x00@example.com", "password": "long-enough-password"}),
    ("/api/v1/ai/accounts", {"label": "l\x00", "api_key": "sk-ant-api03-placeholder"}),
    ("/api/v1/ai/machines", {"name": "desk", "passthrough": False, "extra\x00": 1}),
])
def test_a_nul_character_in_a_dashboard_body_is_400_on_every_database(app, factories, path, body):
    browser = DashboardClient(app, use_cookies=True).login(factories.user(admin=True))
    response = browser.call("POST", path, body)
    assert response.status_code == 400
    assert response.json["error"]["fields"]


def test_a_nul_character_in_a_cli_body_or_a_model_path_is_a_client_error(app, client, factories):
    user = factories.user(admin=True)
    response = client.post("/api/v1/ai/cli/machines", json={"hostname": "h\x00"},
                           headers={"Authorization": f"Bearer {user.account_key}"})
    assert response.status_code == 400
    browser = DashboardClient(app, use_cookies=True).login(user)
    assert browser.call("DELETE", "/api/v1/ai/admin/models/a%00b", {}).status_code == 404
    assert browser.call("PATCH", "/api/v1/ai/admin/models/a%00b", {}).status_code == 404
