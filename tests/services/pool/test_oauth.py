"""Refreshing pooled OAuth tokens against a real local fake token endpoint."""
import threading
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.services.credentials import crypto
from app.services.pool import oauth
from app.services.pool import accounts as pool
from app.services.pool.oauth import OAuthRefreshError, needs_refresh, refresh_access_token
from tests.fakes.http import FakeServer, json_response


@pytest.fixture
def token_endpoint(app):
    server = FakeServer().start()
    previous = app.config["ANTHROPIC_OAUTH_TOKEN_URL"]
    app.config["ANTHROPIC_OAUTH_TOKEN_URL"] = server.url + "/v1/oauth/token"
    yield server
    app.config["ANTHROPIC_OAUTH_TOKEN_URL"] = previous
    server.stop()


def oauth_account(factories, *, expires_in=timedelta(minutes=1), refresh="sk-ant-ort01-old"):
    return factories.pooled_account(
        oauth_access_token="sk-ant-oat01-old", oauth_refresh_token=refresh,
        oauth_expires_at=utcnow() + expires_in)


def reload(account_id):
    db.session.rollback()
    return pool.get_pooled_account(account_id)


def test_needs_refresh_only_near_expiry(factories):
    soon = oauth_account(factories, expires_in=timedelta(minutes=2))
    later = oauth_account(factories, expires_in=timedelta(hours=7))
    key = factories.pooled_account(api_key="sk-ant-api03-x")
    assert needs_refresh(soon) and not needs_refresh(later) and not needs_refresh(key)


def test_a_refresh_stores_the_new_pair_encrypted(app, factories, token_endpoint):
    token_endpoint.route("POST", "/v1/oauth/token", lambda r: json_response(200, {
        "access_token": "sk-ant-oat01-new", "refresh_token": "sk-ant-ort01-new", "expires_in": 28800,
        "token_type": "Bearer", "scope": "user:inference"}))
    account = oauth_account(factories)
    creds = refresh_access_token(account.id)
    assert creds.secret == "sk-ant-oat01-new"
    [sent] = token_endpoint.requests
    assert sent.json() == {"grant_type": "refresh_token", "refresh_token": "sk-ant-ort01-old",
                           "client_id": app.config["ANTHROPIC_OAUTH_CLIENT_ID"]}
    stored = reload(account.id)
    assert "sk-ant-oat01-new" not in stored.oauth_access_token_encrypted
    assert crypto.decrypt(stored.oauth_access_token_encrypted) == "sk-ant-oat01-new"
    assert crypto.decrypt(stored.oauth_refresh_token_encrypted) == "sk-ant-ort01-new"
    assert stored.oauth_expires_at - utcnow() > timedelta(hours=7, minutes=59)


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(factories, token_endpoint):
    token_endpoint.route("POST", "/v1/oauth/token", lambda r: json_response(
        200, {"access_token": "sk-ant-oat01-new", "expires_in": 3600}))
    account = oauth_account(factories)
    refresh_access_token(account.id)
    assert crypto.decrypt(reload(account.id).oauth_refresh_token_encrypted) == "sk-ant-ort01-old"


def test_a_fresh_token_is_not_refreshed(factories, token_endpoint):
    account = oauth_account(factories, expires_in=timedelta(hours=6))
    assert refresh_access_token(account.id).secret == "sk-ant-oat01-old"
    assert token_endpoint.requests == []


def test_invalid_grant_marks_the_account_as_needing_a_new_login(factories, token_endpoint):
    token_endpoint.route("POST", "/v1/oauth/token", lambda r: json_response(
        400, {"error": "invalid_grant", "error_description": "Refresh token not found or invalid"}))
    account = oauth_account(factories)
    version = pool.current_usage_version()
    with pytest.raises(OAuthRefreshError) as raised:
        refresh_access_token(account.id)
    assert raised.value.relogin_required
    stored = reload(account.id)
    assert stored.needs_relogin and pool.account_status(stored) == "needs_relogin"
    assert pool.current_usage_version() == version + 1


def test_a_server_error_is_transient_and_leaves_the_account_alone(factories, token_endpoint):
    token_endpoint.route("POST", "/v1/oauth/token", lambda r: json_response(500, {"error": "oops"}))
    account = oauth_account(factories)
    with pytest.raises(OAuthRefreshError) as raised:
        refresh_access_token(account.id)
    assert not raised.value.relogin_required
    assert not reload(account.id).needs_relogin


def test_an_unreachable_token_endpoint_is_a_clear_error(app, factories):
    app.config["ANTHROPIC_OAUTH_TOKEN_URL"] = "http://127.0.0.1:9/v1/oauth/token"
    account = oauth_account(factories)
    with pytest.raises(OAuthRefreshError, match="unreachable"):
        refresh_access_token(account.id)


def test_a_rejected_token_is_refreshed_unless_someone_already_replaced_it(factories, token_endpoint):
    token_endpoint.route("POST", "/v1/oauth/token", lambda r: json_response(
        200, {"access_token": "sk-ant-oat01-new", "expires_in": 3600}))
    account = oauth_account(factories, expires_in=timedelta(hours=6))
    assert refresh_access_token(account.id, rejected_access_token="sk-ant-oat01-old").secret == "sk-ant-oat01-new"
    assert len(token_endpoint.requests) == 1
    # a second caller holding the same stale token finds the replacement and calls nobody
    assert refresh_access_token(account.id, rejected_access_token="sk-ant-oat01-old").secret == "sk-ant-oat01-new"
    assert len(token_endpoint.requests) == 1


def test_two_concurrent_refreshes_make_one_upstream_call(app, factories, token_endpoint):
    def slow_refresh(_request):
        time.sleep(0.3)
        return json_response(200, {"access_token": "sk-ant-oat01-new", "refresh_token": "sk-ant-ort01-new",
                                   "expires_in": 28800})

    token_endpoint.route("POST", "/v1/oauth/token", slow_refresh)
    account_id = oauth_account(factories).id
    results, barrier = [], threading.Barrier(2)

    def refresh():
        with app.app_context():
            barrier.wait()
            results.append(refresh_access_token(account_id).secret)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["sk-ant-oat01-new", "sk-ant-oat01-new"]
    assert len(token_endpoint.requests) == 1


def test_the_lease_is_released_even_when_a_refresh_fails(factories, token_endpoint):
    token_endpoint.route("POST", "/v1/oauth/token", lambda r: json_response(500, {}))
    account = oauth_account(factories)
    started = time.monotonic()
    for _ in range(2):
        with pytest.raises(OAuthRefreshError):
            refresh_access_token(account.id)
    assert time.monotonic() - started < oauth.WAIT_SECONDS / 2
