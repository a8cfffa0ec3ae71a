"""GET /usage and GET /usage/<id>: the cached payload, strong ETags, 304s, versions, 404s."""
import threading
import time
from datetime import datetime, timedelta

import pytest
import requests

from app.caches import reset_caches
from app.extensions import db
from app.services.pool import active as pool_active
from app.services.pool import accounts as pool
from app.services.pool.usage_snapshot import record_rate_limit_headers, record_usage_update
from app.services.pool.usage_reads import read_pool_usage
from tests.services.pool.test_usage_snapshot import API_KEY_HEADERS, SUBSCRIPTION_HEADERS

NOW = datetime(2025, 11, 25, 20, 0, 0)
ACCOUNT_FIELDS = {"id", "label", "kind", "active", "status", "status_reason", "rate_limited_until", "fetched_at",
                  "windows", "unified", "rate_limits", "extra_usage", "poll"}


def get(client, caller, path="/usage", etag=None):
    headers = dict(caller.headers, **({"If-None-Match": etag} if etag else {}))
    return client.get(path, headers=headers)


@pytest.fixture
def two_accounts(factories):
    team = factories.pooled_account("team", api_key="sk-ant-api03-team-secret")
    mine = factories.pooled_account("mine", oauth_access_token="sk-ant-oat01-mine-secret",
                                    oauth_refresh_token="sk-ant-ort01-mine-secret",
                                    oauth_expires_at=NOW + timedelta(hours=8))
    return team, mine


def test_every_account_is_served_with_its_header_fed_windows(client, caller, two_accounts):
    team, mine = two_accounts
    assert record_rate_limit_headers(mine.id, SUBSCRIPTION_HEADERS, now=NOW)
    assert record_rate_limit_headers(team.id, API_KEY_HEADERS, now=NOW + timedelta(seconds=1))
    response = get(client, caller)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    db.session.rollback()
    assert body["version"] == pool.current_usage_version()
    assert body["fetched_at"] == "2025-11-25T20:00:01Z"
    first, second = body["accounts"]
    assert set(first) == set(second) == ACCOUNT_FIELDS
    assert (first["id"], first["label"], first["kind"], first["active"], first["status"]) == (
        team.id, "team", "api_key", True, "ok")
    assert first["windows"] == {} and first["unified"] is None and first["poll"] is None
    assert first["rate_limits"]["requests"] == {"limit": 4000, "remaining": 3999, "resets_at": "2025-11-25T21:00:00Z"}
    assert (first["rate_limits"]["source"], first["rate_limits"]["observed_at"]) == ("headers", "2025-11-25T20:00:01Z")
    assert (second["id"], second["kind"], second["active"], second["fetched_at"]) == (
        mine.id, "oauth", False, "2025-11-25T20:00:00Z")
    assert second["windows"]["five_hour"] == {
        "utilization_percent": 42.0, "resets_at": "2025-11-25T22:00:00Z", "status": "allowed",
        "source": "headers", "observed_at": "2025-11-25T20:00:00Z"}
    assert second["windows"]["seven_day"]["utilization_percent"] == 80.0
    assert second["windows"]["seven_day_oi"]["utilization_percent"] == 5.0
    assert second["unified"]["representative_claim"] == "five_hour"
    assert "secret" not in response.get_data(as_text=True)


def test_an_empty_pool_is_an_empty_list(client, caller):
    body = get(client, caller).get_json()
    assert (body["fetched_at"], body["accounts"]) == (None, []) and isinstance(body["version"], int)


def test_reading_usage_never_calls_anthropic(client, caller, factories, oauth_upstream):
    account = factories.pooled_account(oauth_access_token="sk-ant-oat01-expired", oauth_refresh_token="sk-ant-ort01-x",
                                       oauth_expires_at=NOW - timedelta(days=1))
    for path in ("/usage", f"/usage/{account.id}", "/usage", f"/usage/{account.id}"):
        assert get(client, caller, path).status_code == 200
    assert oauth_upstream.server.requests == []


def test_a_strong_etag_and_if_none_match_answer_304_without_a_body(client, caller, two_accounts):
    record_rate_limit_headers(two_accounts[1].id, SUBSCRIPTION_HEADERS, now=NOW)
    first = get(client, caller)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert "private" in first.headers["Cache-Control"] and "no-cache" in first.headers["Cache-Control"]
    for condition in (etag, f'"elsewhere", {etag}', f"W/{etag}", "*"):
        response = get(client, caller, etag=condition)
        assert response.status_code == 304, condition
        assert response.get_data() == b""
        assert response.headers["ETag"] == etag
    stale = get(client, caller, etag='"not-the-current-tag"')
    assert stale.status_code == 200 and stale.get_json() == first.get_json()
    assert stale.headers["ETag"] == etag


def observe(client, caller, path="/usage"):
    response = get(client, caller, path)
    body = response.get_json()
    return body.pop("version", None), response.headers["ETag"], body


def test_version_and_etag_change_exactly_when_the_payload_does(client, caller, factories, two_accounts):
    team, mine = two_accounts
    record_rate_limit_headers(mine.id, SUBSCRIPTION_HEADERS, now=NOW)
    changed_headers = dict(SUBSCRIPTION_HEADERS, **{"anthropic-ratelimit-unified-5h-utilization": "0.5"})
    activate = lambda account_id: client.post(f"/usage/accounts/{account_id}/activate",  # noqa: E731
                                              headers=caller.headers)

    def from_another_instance(headers, now):
        reset_caches()  # this process's memory of its last write
        record_rate_limit_headers(mine.id, headers, now=now)

    steps = [
        ("activating the already-active account", lambda: activate(team.id), False),
        ("the same header values again", lambda: record_rate_limit_headers(
            mine.id, SUBSCRIPTION_HEADERS, now=NOW + timedelta(seconds=2)), False),
        ("the same header values seen by another instance", lambda: from_another_instance(
            SUBSCRIPTION_HEADERS, NOW + timedelta(seconds=5)), False),
        ("enabling an enabled account", lambda: pool.set_pooled_account_disabled(mine.id, False), False),
        ("no rate limit to clear", lambda: pool.clear_expired_rate_limits(NOW), False),
        ("an unknown account's headers", lambda: record_rate_limit_headers(10**9, changed_headers), False),
        ("a changed header value", lambda: record_rate_limit_headers(
            mine.id, changed_headers, now=NOW + timedelta(seconds=6)), True),
        ("the same values re-stamped once stale", lambda: from_another_instance(
            changed_headers, NOW + timedelta(minutes=5)), True),
        ("activating another account", lambda: activate(mine.id), True),
        ("disabling an account", lambda: pool.set_pooled_account_disabled(team.id, True), True),
        ("adding an account", lambda: factories.pooled_account("third"), True),
    ]
    for name, action, visible in steps:
        version, etag, payload = observe(client, caller)
        action()
        db.session.rollback()
        new_version, new_etag, new_payload = observe(client, caller)
        assert (new_payload != payload) == visible, name
        assert (new_version != version) == visible, name
        assert (new_etag != etag) == visible, name
        assert new_version >= version, name
        assert get(client, caller, etag=etag).status_code == (200 if visible else 304), name


def test_one_account_has_its_own_etag(client, caller, two_accounts):
    team, mine = two_accounts
    path = f"/usage/{mine.id}"
    first = get(client, caller, path)
    assert first.status_code == 200 and first.get_json()["id"] == mine.id
    assert "version" not in first.get_json()
    etag = first.headers["ETag"]
    assert etag != get(client, caller).headers["ETag"]
    assert get(client, caller, path, etag=etag).status_code == 304
    record_rate_limit_headers(team.id, API_KEY_HEADERS, now=NOW)  # another account's figures
    assert get(client, caller, path, etag=etag).status_code == 304
    record_rate_limit_headers(mine.id, SUBSCRIPTION_HEADERS, now=NOW)
    changed = get(client, caller, path, etag=etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["windows"]["five_hour"]["utilization_percent"] == 42.0
    pool_active.activate_pooled_account(mine.id, via="test")  # its active flag flips
    assert get(client, caller, path, etag=changed.headers["ETag"]).status_code == 200


@pytest.mark.parametrize("raw", ["999999", "0", "abc", "1.5", "-1", "0x1", "1e3", " 1", "99999999999999999999",
                                 "%E2%82%AC"])
def test_unknown_and_malformed_ids_are_404_in_the_json_shape(client, caller, two_accounts, raw):
    response = get(client, caller, f"/usage/{raw}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_paths_and_methods_answer_in_the_json_shape(client, caller, two_accounts):
    assert client.get(f"/usage/{two_accounts[0].id}/", headers=caller.headers).get_json()["error"]["code"] == (
        "not_found")
    response = client.post("/usage", headers=caller.headers)
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_account_states_are_reported_from_stored_state(client, caller, factories, two_accounts):
    team, mine = two_accounts
    third = factories.pooled_account("third")
    pool.set_pooled_account_disabled(third.id, True)
    account = pool.get_pooled_account(mine.id)
    account.rate_limited_until = NOW + timedelta(hours=1)
    account.status_reason = "5-hour window exhausted"
    db.session.commit()
    states = {a["id"]: a for a in get(client, caller).get_json()["accounts"]}
    assert (states[team.id]["status"], states[mine.id]["status"], states[third.id]["status"]) == (
        "ok", "rate_limited", "disabled")
    assert states[mine.id]["rate_limited_until"] == "2025-11-25T21:00:00Z"
    assert states[mine.id]["status_reason"] == "5-hour window exhausted"
    account = pool.get_pooled_account(mine.id)
    account.rate_limited_until, account.needs_relogin = None, True
    db.session.commit()
    assert get(client, caller, f"/usage/{mine.id}").get_json()["status"] == "needs_relogin"


def test_the_version_always_matches_the_figures_under_concurrent_writes(app, factories):
    account_id = factories.pooled_account(oauth_access_token="sk-ant-oat01-x").id
    db.session.rollback()
    base = pool.current_usage_version()
    writes, stop = 40, threading.Event()

    def writer():
        with app.app_context():
            for i in range(1, writes + 1):
                record_usage_update(account_id, {"windows": {"five_hour": {"utilization_percent": float(i)}}},
                                    source="usage_endpoint", now=NOW + timedelta(seconds=i))
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = set()
    while not stop.is_set() or len(seen) < 2:
        payload = read_pool_usage()
        db.session.rollback()
        windows = payload["accounts"][0]["windows"]
        figure = windows["five_hour"]["utilization_percent"] if windows else 0.0
        assert payload["version"] - base == figure
        seen.add(payload["version"])
        if stop.is_set():
            break
    thread.join()


def test_the_proxy_header_feed_reaches_a_client_of_a_running_server(app, live_server, caller, two_accounts):
    """The proxy records headers in its own workers; a status bar polling with its ETag sees the change."""
    _, mine = two_accounts
    url = live_server.url + "/usage"
    first = requests.get(url, headers=caller.headers, timeout=5)
    etag = first.headers["ETag"]
    assert requests.get(url, headers={**caller.headers, "If-None-Match": etag}, timeout=5).status_code == 304

    fed = threading.Thread(target=_feed_headers, args=(app, mine.id))
    fed.start()
    fed.join()
    deadline = time.monotonic() + 10
    response = requests.get(url, headers={**caller.headers, "If-None-Match": etag}, timeout=5)
    while response.status_code == 304 and time.monotonic() < deadline:
        time.sleep(0.05)
        response = requests.get(url, headers={**caller.headers, "If-None-Match": etag}, timeout=5)
    assert response.status_code == 200 and response.headers["ETag"] != etag
    entry = next(a for a in response.json()["accounts"] if a["id"] == mine.id)
    assert entry["windows"]["five_hour"]["utilization_percent"] == 42.0
    assert response.json()["version"] > first.json()["version"]


def _feed_headers(app, account_id):
    with app.app_context():
        record_rate_limit_headers(account_id, SUBSCRIPTION_HEADERS, now=NOW)
