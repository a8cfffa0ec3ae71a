"""Every CLI API route takes the account key and nothing else: no key, a wrong one or a rotated one is 401."""
import pytest

from app.services.credentials import user_tokens
from tests.cli_api.conftest import PREFIX, assert_error, bearer


def cli_routes(app):
    """(method, concrete path) for every route of the blueprint, ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("cli_api.") or rule.build_only:
            continue
        path = rule.rule.replace("<id:machine_id>", "1").replace(
            "<id:account_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_the_blueprint_serves_every_route_the_cli_needs(app):
    assert set(cli_routes(app)) == {
        ("GET", f"{PREFIX}/me"), ("POST", f"{PREFIX}/machines"), ("GET", f"{PREFIX}/machines"),
        ("GET", f"{PREFIX}/machines/1"), ("POST", f"{PREFIX}/machines/1/rotate"),
        ("POST", f"{PREFIX}/machines/1/revoke"), ("GET", f"{PREFIX}/usage-token"),
        ("POST", f"{PREFIX}/usage-token"), ("POST", f"{PREFIX}/usage-token/rotate"),
        ("GET", f"{PREFIX}/usage"), ("POST", f"{PREFIX}/usage/accounts/1/activate"),
    }


@pytest.mark.parametrize("headers,message", [
    ({}, "missing account key"),
    ({"Authorization": ""}, "missing account key"),
    ({"Authorization": "Bearer"}, "missing account key"),
    ({"Authorization": "Basic Y2NhczpzZWNyZXQ="}, "missing account key"),
    ({"Authorization": "Bearer ccas_not-a-real-key"}, "invalid account key"),
    ({"Authorization": "Bearer cct_a-proxy-token-is-not-an-account-key"}, "invalid account key"),
    ({"x-api-key": "ccas_not-in-the-right-header"}, "missing account key"),
])
def test_every_route_rejects_a_missing_or_wrong_key(app, client, factories, headers, message):
    factories.user()
    for method, path in cli_routes(app):
        response = client.open(path, method=method, headers=headers, json={})
        assert_error(response, 401, "unauthenticated", message)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="ccas"'


def test_other_secrets_of_the_same_user_are_not_account_keys(client, factories):
    user = factories.user()
    machine = factories.machine(user)
    for secret in (machine.token, factories.usage_token(user)):
        assert_error(client.get(f"{PREFIX}/me", headers=bearer(secret)), 401, "unauthenticated")


def test_a_rotated_key_stops_working_at_once_and_the_new_one_works(app, client, factories):
    user = factories.user()
    assert client.get(f"{PREFIX}/me", headers=bearer(user.account_key)).status_code == 200
    new_key = user_tokens.rotate_account_key(user)
    for method, path in cli_routes(app):
        response = client.open(path, method=method, headers=bearer(user.account_key), json={})
        assert_error(response, 401, "unauthenticated", "invalid account key")
    assert client.get(f"{PREFIX}/me", headers=bearer(new_key)).status_code == 200


def test_the_scheme_is_case_insensitive(client, factories):
    user = factories.user()
    response = client.get(f"{PREFIX}/me", headers={"Authorization": f"bearer {user.account_key}"})
    assert response.status_code == 200


def test_me_says_whose_key_it_is(client, factories):
    user = factories.user("Grace@Example.com", admin=True)
    response = client.get(f"{PREFIX}/me", headers=bearer(user.account_key))
    assert response.get_json() == {"user": {"id": user.id, "email": "grace@example.com", "is_admin": True}}


def test_unknown_paths_and_methods_answer_in_the_same_json_shape(client, factories):
    user = factories.user()
    assert_error(client.get(f"{PREFIX}/nope", headers=bearer(user.account_key)), 404, "not_found")
    response = client.get(f"{PREFIX}/machines/1/rotate", headers=bearer(user.account_key))
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
