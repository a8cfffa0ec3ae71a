"""Pooled credentials: injection, OAuth refresh, the in-process cache, usage headers, failover."""
import threading
from datetime import timedelta, timezone

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import PooledAccount, PoolSwitch
from app.models.base import utcnow
from app.services.credentials import crypto
from app.services.pool import active as pool_active
from tests.fakes.anthropic import MODEL, JsonReply, error_body, message_body, token_reply
from tests.proxy.helpers import finished_rows, ledger_rows, proxy_url, wait_for

MESSAGE = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def oauth_account(factories, label="max", *, expires_in=timedelta(hours=6), access="sk-ant-oat01-old"):
    return factories.pooled_account(label, oauth_access_token=access, oauth_refresh_token="sk-ant-ort01-old",
                                    oauth_expires_at=utcnow() + expires_in)


def oauth_machine(factories, **kwargs):
    user = factories.user()
    machine = factories.machine(user)
    machine.account = oauth_account(factories, **kwargs)
    return machine


def reload(account_id):
    db.session.rollback()
    return db.session.get(PooledAccount, account_id)


def test_an_oauth_token_is_injected_with_the_beta_flag_merged(client, fake, factories):
    machine = oauth_machine(factories)
    betas = "claude-code-20250219,interleaved-thinking-2025-05-14"
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE,
                headers={"anthropic-beta": betas, "x-api-key": machine.token})
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE,
                headers={"anthropic-beta": "oauth-2025-04-20,claude-code-20250219"})
    first, bare, already = fake.requests
    assert first.headers["authorization"] == "Bearer sk-ant-oat01-old"
    assert first.headers["anthropic-beta"] == betas + ",oauth-2025-04-20"
    assert "x-api-key" not in first.headers
    assert bare.headers["anthropic-beta"] == "oauth-2025-04-20"
    assert already.headers["anthropic-beta"] == "oauth-2025-04-20,claude-code-20250219"


def test_an_api_key_replaces_a_client_oauth_login_and_its_beta_flag(client, fake, machine):
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE, headers={
        "Authorization": "Bearer sk-ant-oat01-the-users-own-login",
        "anthropic-beta": "claude-code-20250219,oauth-2025-04-20,fine-grained-tool-streaming-2025-05-14"})
    [sent] = fake.requests
    assert sent.headers["x-api-key"] == "sk-ant-api03-pooled-key"
    assert "authorization" not in sent.headers
    assert sent.headers["anthropic-beta"] == "claude-code-20250219,fine-grained-tool-streaming-2025-05-14"


def test_a_token_about_to_expire_is_refreshed_first(client, fake, factories):
    machine = oauth_machine(factories, expires_in=timedelta(minutes=2))
    fake.route("POST", "/v1/oauth/token", token_reply(access="sk-ant-oat01-fresh"))
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE).status_code == 200
    [refresh] = fake.requests_to("/v1/oauth/token")
    assert refresh.json()["grant_type"] == "refresh_token"
    assert refresh.json()["refresh_token"] == "sk-ant-ort01-old"
    [sent] = fake.requests_to("/v1/messages")
    assert sent.headers["authorization"] == "Bearer sk-ant-oat01-fresh"
    stored = reload(machine.account.id)
    assert crypto.decrypt(stored.oauth_access_token_encrypted) == "sk-ant-oat01-fresh"
    assert crypto.decrypt(stored.oauth_refresh_token_encrypted) == "sk-ant-ort01-new"


def test_concurrent_requests_share_one_refresh(live_server, fake, factories):
    machine = oauth_machine(factories, expires_in=timedelta(minutes=1))
    fake.route("POST", "/v1/oauth/token", token_reply(access="sk-ant-oat01-fresh", delay=0.4))
    statuses = []
    barrier = threading.Barrier(3)

    def call():
        barrier.wait()
        statuses.append(requests.post(proxy_url(live_server.url, machine.token), json=MESSAGE, timeout=10).status_code)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert statuses == [200, 200, 200]
    assert len(fake.requests_to("/v1/oauth/token")) == 1
    assert {r.headers["authorization"] for r in fake.requests_to("/v1/messages")} == {"Bearer sk-ant-oat01-fresh"}


def test_a_refused_oauth_token_is_refreshed_once_and_the_request_resent(client, fake, factories):
    machine = oauth_machine(factories)
    fake.queue("POST", "/v1/messages", JsonReply(401, error_body("authentication_error", "Invalid bearer token")))
    fake.route("POST", "/v1/oauth/token", token_reply(access="sk-ant-oat01-fresh"))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert response.status_code == 200 and response.get_json()["type"] == "message"
    refused, resent = fake.requests_to("/v1/messages")
    assert refused.headers["authorization"] == "Bearer sk-ant-oat01-old"
    assert resent.headers["authorization"] == "Bearer sk-ant-oat01-fresh"
    assert resent.body == refused.body
    assert len(fake.requests_to("/v1/oauth/token")) == 1
    [row] = ledger_rows()
    assert (row.outcome, row.status_code) == ("ok", 200)


def test_a_401_that_no_refresh_can_fix_is_relayed_as_it_came(client, fake, factories):
    machine = oauth_machine(factories)
    refusal = b'{"type":"error","error":{"type":"authentication_error","message":"OAuth token has been revoked."}}'
    fake.route("POST", "/v1/messages", JsonReply(401, refusal))
    fake.route("POST", "/v1/oauth/token", JsonReply(400, {"error": "invalid_grant"}))
    for _ in range(2):
        response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
        assert (response.status_code, response.data) == (401, refusal)
    assert len(fake.requests_to("/v1/oauth/token")) == 1  # the dead refresh token is not retried per request
    assert reload(machine.account.id).needs_relogin
    assert [(r.outcome, r.error_type) for r in ledger_rows()] == [("upstream_error", "authentication_error")] * 2


def test_an_api_key_401_is_relayed_without_a_refresh(client, fake, machine):
    fake.route("POST", "/v1/messages", JsonReply(401, error_body("authentication_error", "invalid x-api-key")))
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE).status_code == 401
    assert fake.requests_to("/v1/oauth/token") == [] and len(fake.requests) == 1


def test_a_switch_of_the_active_account_reaches_the_proxy_within_two_seconds(client, fake, machine, factories):
    other = factories.pooled_account(label="second", api_key="sk-ant-api03-second")
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    pool_active.activate_pooled_account(other.id, via="test")

    def uses_second():
        client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
        return fake.requests[-1].headers["x-api-key"] == "sk-ant-api03-second"

    wait_for(uses_second, timeout=2.0, interval=0.1)  # issue 5: a switch reaches every instance within 2 s
    assert ledger_rows()[-1].pooled_account_id == other.id


UNIFIED = "anthropic-ratelimit-unified-"


def epoch(dt):
    return str(int(dt.replace(tzinfo=timezone.utc).timestamp()))


def test_rate_limit_headers_reach_the_usage_cache(client, fake, factories):
    machine = oauth_machine(factories)
    reset = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(), headers={
        UNIFIED + "status": "allowed", UNIFIED + "5h-utilization": "0.42", UNIFIED + "5h-reset": epoch(reset),
        UNIFIED + "7d-utilization": "0.1", UNIFIED + "representative-claim": "five_hour"}))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    windows = reload(machine.account.id).usage_snapshot["windows"]
    assert windows["five_hour"]["utilization_percent"] == 42.0
    assert windows["five_hour"]["resets_at"] == reset.isoformat() + "Z"
    assert windows["seven_day"]["utilization_percent"] == 10.0
    # Within the throttle interval the newest values are written shortly after, not per response.
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(), headers={UNIFIED + "5h-utilization": "0.5"}))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    wait_for(lambda: reload(machine.account.id).usage_snapshot["windows"]["five_hour"]["utilization_percent"] == 50.0,
             timeout=3.0)


def test_api_key_rate_limit_headers_reach_the_usage_cache(client, fake, machine):
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(), headers={
        "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-tokens-remaining": "79000"}))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    limits = reload(machine.account.id).usage_snapshot["rate_limits"]
    assert limits["requests"]["remaining"] == 49 and limits["tokens"]["remaining"] == 79000


def exhausted_429(reset):
    return JsonReply(429, error_body("rate_limit_error", "This request would exceed your rate limit."), headers={
        UNIFIED + "status": "rejected", UNIFIED + "5h-status": "rejected", UNIFIED + "5h-utilization": "1.0",
        UNIFIED + "5h-reset": epoch(reset), UNIFIED + "representative-claim": "five_hour", "retry-after": "2094"})


def test_an_exhausted_window_fails_over_to_the_next_healthy_account(app, client, fake, factories):
    app.config["POOL_AUTO_FAILOVER"] = True
    machine = oauth_machine(factories)
    spare = factories.pooled_account(label="spare", api_key="sk-ant-api03-spare")
    reset = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    fake.queue("POST", "/v1/messages", exhausted_429(reset))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert response.status_code == 429
    assert response.get_json()["error"]["type"] == "rate_limit_error"
    exhausted = reload(machine.account.id)
    assert not exhausted.is_active and exhausted.rate_limited_until == reset
    assert "five_hour" in exhausted.status_reason
    assert reload(spare.id).is_active
    [switch] = db.session.scalars(select(PoolSwitch).where(PoolSwitch.via == "failover")).all()
    assert (switch.from_account_id, switch.to_account_id) == (machine.account.id, spare.id)
    assert "five_hour window exhausted" in switch.reason
    assert client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE).status_code == 200
    assert fake.requests[-1].headers["x-api-key"] == "sk-ant-api03-spare"
    assert [r.pooled_account_id for r in finished_rows(2)] == [machine.account.id, spare.id]


def test_no_failover_for_overload_transient_limits_or_when_switched_off(app, client, fake, factories):
    machine = oauth_machine(factories)
    factories.pooled_account(label="spare", api_key="sk-ant-api03-spare")
    reset = utcnow() + timedelta(hours=2)
    app.config["POOL_AUTO_FAILOVER"] = False
    fake.queue("POST", "/v1/messages", exhausted_429(reset))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    app.config["POOL_AUTO_FAILOVER"] = True
    overloaded = exhausted_429(reset)
    overloaded.status = 529
    fake.queue("POST", "/v1/messages", overloaded, JsonReply(429, error_body("rate_limit_error", "slow down"), headers={
        UNIFIED + "status": "allowed_warning", UNIFIED + "5h-utilization": "0.93",
        UNIFIED + "representative-claim": "five_hour"}))
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert reload(machine.account.id).is_active
    assert db.session.scalars(select(PoolSwitch).where(PoolSwitch.via == "failover")).all() == []


def test_passthrough_forwards_the_callers_own_key_untouched_and_meters_it(client, fake, factories):
    user = factories.user()
    machine = factories.machine(user, passthrough=True)
    factories.pooled_account(api_key="sk-ant-api03-pooled-never-used")
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE, headers={
        "x-api-key": "sk-ant-api03-users-own", "Authorization": f"Bearer {machine.token}",
        "anthropic-beta": "prompt-caching-2024-07-31"})
    [sent] = fake.requests
    assert sent.headers["x-api-key"] == "sk-ant-api03-users-own"
    assert "authorization" not in sent.headers
    assert sent.headers["anthropic-beta"] == "prompt-caching-2024-07-31"
    [row] = ledger_rows()
    assert (row.passthrough, row.pooled_account_id, row.input_tokens, row.output_tokens, row.outcome) == (
        True, None, 12, 30, "ok")


def test_passthrough_forwards_a_claude_login_with_its_beta_flag(client, fake, factories):
    machine = factories.machine(factories.user(), passthrough=True)
    betas = "claude-code-20250219,oauth-2025-04-20"
    client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE,
                headers={"Authorization": "Bearer sk-ant-oat01-users-login", "anthropic-beta": betas})
    [sent] = fake.requests
    assert sent.headers["authorization"] == "Bearer sk-ant-oat01-users-login"
    assert sent.headers["anthropic-beta"] == betas
    assert "x-api-key" not in sent.headers


def test_passthrough_without_a_credential_of_its_own_is_refused(client, fake, factories):
    machine = factories.machine(factories.user(), passthrough=True)
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE,
                           headers={"x-api-key": machine.token})
    assert response.status_code == 401
    assert "passthrough" in response.get_json()["error"]["message"]
    assert fake.requests == []
    assert [(r.outcome, r.status_code) for r in ledger_rows()] == [("rejected", 401)]



def test_worker_processes_share_one_refresh(gunicorn_server, fake, factories):
    machine = oauth_machine(factories, expires_in=timedelta(minutes=1))
    fake.route("POST", "/v1/oauth/token", token_reply(access="sk-ant-oat01-fresh", delay=0.5))
    server = gunicorn_server(ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_OAUTH_TOKEN_URL=fake.url + "/v1/oauth/token",
                             WEB_CONCURRENCY=2)
    assert len(server.worker_pids()) == 2
    statuses = []
    barrier = threading.Barrier(8)

    def call():
        barrier.wait()
        statuses.append(requests.post(proxy_url(server.url, machine.token), json=MESSAGE, timeout=20).status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 8
    assert len(fake.requests_to("/v1/oauth/token")) == 1
    assert {r.headers["authorization"] for r in fake.requests_to("/v1/messages")} == {"Bearer sk-ant-oat01-fresh"}
