"""Usage API auth: `Authorization: Bearer usg_...` and nothing else; every refusal is a JSON 401."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PoolSwitch
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services.credentials import user_tokens

ENDPOINTS = [("GET", "/usage"), ("GET", "/usage/{id}"), ("POST", "/usage/accounts/{id}/activate")]


@pytest.fixture
def accounts(factories):
    return factories.pooled_account("first"), factories.pooled_account("second")


def call(client, method, path, account_id, headers=None, query=None):
    return client.open(path.format(id=account_id), method=method, headers=headers or {}, query_string=query)


def assert_refused(response, *, secret=None):
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == "unauthenticated"
    assert body["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="usage"')
    if secret:
        assert secret not in response.get_data(as_text=True)


def other_secrets(factories):
    """A live secret of every other kind this service mints."""
    user = factories.user()
    machine = factories.machine(user)
    key = factories.llm_key(user, [factories.model("qwen3-8b")])
    return {"proxy token": machine.token, "llm key": key.token, "account key": user.account_key,
            "anthropic key": "sk-ant-api03-abcdef"}


@pytest.mark.parametrize("method,path", ENDPOINTS)
@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNzd29yZA==", "Token usg_abc",
    "usg_missing_scheme_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Bearer usg_unknown_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Bearer usg_", "Bearer usg_a usg_b",
], ids=["missing", "empty", "scheme-only", "scheme-space", "basic", "other-scheme", "no-scheme", "unknown",
        "bare-prefix", "two-tokens"])
def test_malformed_missing_and_unknown_credentials_are_refused(client, accounts, method, path, header):
    headers = {} if header is None else {"Authorization": header}
    assert_refused(call(client, method, path, accounts[1].id, headers))


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_other_kinds_of_token_are_refused_and_never_echoed(client, factories, accounts, method, path):
    for secret in other_secrets(factories).values():
        response = call(client, method, path, accounts[1].id, {"Authorization": f"Bearer {secret}"})
        assert_refused(response, secret=secret)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_a_usage_token_anywhere_but_the_authorization_header_is_refused(client, caller, accounts, method, path):
    assert_refused(call(client, method, path, accounts[1].id, {"x-api-key": caller.token}), secret=caller.token)
    assert_refused(call(client, method, path, accounts[1].id, query={"token": caller.token}),
                   secret=caller.token)


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_a_rotated_usage_token_stops_working_at_once(client, caller, accounts, method, path):
    assert call(client, method, path, accounts[0].id, caller.headers).status_code == 200
    new_token = user_tokens.rotate_usage_token(caller.user)
    response = call(client, method, path, accounts[1].id, caller.headers)
    assert_refused(response, secret=caller.token)
    assert "rotated" in response.get_json()["error"]["message"]
    assert call(client, method, path, accounts[1].id, {"Authorization": f"Bearer {new_token}"}).status_code == 200


def test_a_refused_activation_switches_nothing(client, factories, accounts):
    version = pool.current_usage_version()
    for secret in other_secrets(factories).values():
        call(client, "POST", "/usage/accounts/{id}/activate", accounts[1].id, {"Authorization": f"Bearer {secret}"})
    db.session.rollback()
    assert pool_active.active_pooled_account().id == accounts[0].id
    assert db.session.scalar(select(func.count(PoolSwitch.id))) == 1  # the first account's own row
    assert pool.current_usage_version() == version


def test_auth_comes_before_anything_about_ids(client):
    assert_refused(client.get("/usage/not-a-number"))
    assert_refused(client.post("/usage/accounts/999/activate"))


def test_the_scheme_is_case_insensitive_and_the_ai_mirror_is_guarded_too(client, caller):
    assert client.get("/usage", headers={"Authorization": f"bearer {caller.token}"}).status_code == 200
    assert client.get("/ai/usage", headers=caller.headers).status_code == 200
    assert_refused(client.get("/ai/usage"))
