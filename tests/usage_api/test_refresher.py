"""The usage refresher against a real local fake of the OAuth usage and token endpoints."""
import threading
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.services.credentials import crypto
from app.services.pool import accounts as pool
from app.services.db.leases import acquire_lease
from app.services.timestamps import iso
from app.services.pool.usage_snapshot import record_rate_limit_headers
from app.services.pool.usage_endpoint import MAX_RETRY_AFTER_SECONDS, parse_retry_after
from app.services.pool.usage_refresher import (FORBIDDEN_BACKOFF, UNAUTHORIZED_BACKOFF, AccountResult, lease_name,
    refresh_pool_usage)
from tests.fakes.anthropic_oauth import FLAT_PAYLOAD, LIMITS_PAYLOAD
from tests.services.pool.test_usage_snapshot import SUBSCRIPTION_HEADERS

INTERVAL = 60


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


def oauth_account(factories, access, *, refresh=None, expires_in=timedelta(hours=6), label=None):
    return factories.pooled_account(label or access, oauth_access_token=access, oauth_refresh_token=refresh,
                                    oauth_expires_at=utcnow() + expires_in)


def account_entry(client, caller, account_id):
    db.session.rollback()
    return client.get(f"/usage/{account_id}", headers=caller.headers).get_json()


def stored(account_id):
    db.session.rollback()
    return pool.get_pooled_account(account_id)


def outcomes(results):
    return [(r.action, r.outcome) for r in results]


def test_the_flat_shape_is_polled_with_honest_headers_and_served(client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-flat")
    oauth_upstream.serve("sk-ant-oat01-flat", FLAT_PAYLOAD)
    assert refresh_pool_usage(interval=INTERVAL, now=now) == [
        AccountResult(account.id, "sk-ant-oat01-flat", "polled", "ok")]
    [sent] = oauth_upstream.usage_requests()
    assert sent.method == "GET"
    assert sent.headers["Authorization"] == "Bearer sk-ant-oat01-flat"
    assert sent.headers["anthropic-beta"] == "oauth-2025-04-20"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("hepgg-ai-usage-refresher/")
    assert "claude" not in sent.headers["User-Agent"].lower()
    assert "x-api-key" not in {k.lower() for k in sent.headers}

    entry = account_entry(client, caller, account.id)
    assert entry["fetched_at"] == iso(now)
    assert entry["windows"]["five_hour"] == {"utilization_percent": 19.0, "resets_at": "2025-11-25T22:00:00Z",
                                             "source": "usage_endpoint", "observed_at": iso(now)}
    assert entry["windows"]["seven_day"]["utilization_percent"] == 7.0
    assert entry["windows"]["seven_day_oauth_apps"]["utilization_percent"] == 0.0
    assert "seven_day_opus" not in entry["windows"]
    assert entry["extra_usage"]["is_enabled"] is False
    assert entry["poll"] == {"outcome": "ok", "http_status": 200, "message": None, "next_poll_after": None,
                             "source": "usage_endpoint", "observed_at": iso(now)}
    assert "sk-ant-oat01-flat" not in str(client.get("/usage", headers=caller.headers).get_json()["accounts"][0]
                                          ["windows"])


def test_the_limits_shape_gives_per_model_weekly_windows(client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-limits")
    oauth_upstream.serve("sk-ant-oat01-limits", LIMITS_PAYLOAD)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "ok")]
    windows = account_entry(client, caller, account.id)["windows"]
    assert windows["five_hour"]["utilization_percent"] == 33.5 and windows["five_hour"]["severity"] == "normal"
    assert windows["seven_day"]["utilization_percent"] == 61.0
    assert windows["seven_day_opus"] == {"utilization_percent": 90.0, "resets_at": "2026-11-30T00:00:00Z",
                                         "severity": "critical", "active": False, "source": "usage_endpoint",
                                         "observed_at": iso(now)}


def test_a_window_the_endpoint_stops_reporting_is_dropped_and_header_windows_stay(
        client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-drop")
    oauth_upstream.script("sk-ant-oat01-drop", (200, LIMITS_PAYLOAD))
    oauth_upstream.serve("sk-ant-oat01-drop", FLAT_PAYLOAD)
    refresh_pool_usage(interval=INTERVAL, now=now)
    record_rate_limit_headers(account.id, {"anthropic-ratelimit-unified-7d_oi-utilization": "0.3"}, now=now)
    refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=INTERVAL))
    windows = account_entry(client, caller, account.id)["windows"]
    assert "seven_day_opus" not in windows  # null in the newer report
    assert windows["seven_day_oi"]["source"] == "headers"
    assert windows["five_hour"]["utilization_percent"] == 19.0


def test_a_401_refreshes_the_token_once_and_retries(factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-old", refresh="sk-ant-ort01-old")
    oauth_upstream.refreshes("sk-ant-ort01-old", "sk-ant-oat01-new", new_refresh_token="sk-ant-ort01-new")
    oauth_upstream.serve("sk-ant-oat01-new", FLAT_PAYLOAD)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "ok")]
    assert [r.headers["Authorization"] for r in oauth_upstream.usage_requests()] == [
        "Bearer sk-ant-oat01-old", "Bearer sk-ant-oat01-new"]
    [grant] = oauth_upstream.token_requests()
    assert grant.json()["refresh_token"] == "sk-ant-ort01-old"
    account = stored(account.id)
    assert crypto.decrypt(account.oauth_access_token_encrypted) == "sk-ant-oat01-new"
    assert crypto.decrypt(account.oauth_refresh_token_encrypted) == "sk-ant-ort01-new"


def test_a_401_whose_refresh_is_refused_marks_the_account_for_a_new_login(
        client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-revoked", refresh="sk-ant-ort01-revoked")
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "unauthorized")]
    assert len(oauth_upstream.usage_requests()) == 1 and len(oauth_upstream.token_requests()) == 1
    entry = account_entry(client, caller, account.id)
    assert entry["status"] == "needs_relogin"
    assert (entry["poll"]["outcome"], entry["poll"]["http_status"]) == ("unauthorized", 401)
    later = refresh_pool_usage(interval=INTERVAL, now=now + timedelta(days=1))
    assert outcomes(later) == [("skipped", "needs_relogin")]
    assert len(oauth_upstream.usage_requests()) == 1


def test_a_401_that_a_fresh_token_does_not_cure_backs_off(client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-old", refresh="sk-ant-ort01-old")
    oauth_upstream.refreshes("sk-ant-ort01-old", "sk-ant-oat01-also-refused")
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "unauthorized")]
    assert len(oauth_upstream.usage_requests()) == 2 and len(oauth_upstream.token_requests()) == 1
    assert account_entry(client, caller, account.id)["poll"]["next_poll_after"] == iso(now + UNAUTHORIZED_BACKOFF)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=INTERVAL))) == [
        ("skipped", "backing_off")]
    assert len(oauth_upstream.usage_requests()) == 2


def test_a_token_near_expiry_is_refreshed_before_polling(factories, oauth_upstream, now):
    oauth_account(factories, "sk-ant-oat01-expiring", refresh="sk-ant-ort01-r", expires_in=timedelta(minutes=1))
    oauth_upstream.refreshes("sk-ant-ort01-r", "sk-ant-oat01-fresh")
    oauth_upstream.serve("sk-ant-oat01-fresh", FLAT_PAYLOAD)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "ok")]
    assert [r.path for r in oauth_upstream.server.requests] == ["/v1/oauth/token", "/api/oauth/usage"]
    assert oauth_upstream.usage_requests()[0].headers["Authorization"] == "Bearer sk-ant-oat01-fresh"


def test_a_429_backs_off_by_retry_after(client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-busy")
    oauth_upstream.script("sk-ant-oat01-busy", (429, {"type": "error", "error": {"type": "rate_limit_error"}},
                                                {"retry-after": "150"}))
    oauth_upstream.serve("sk-ant-oat01-busy", FLAT_PAYLOAD)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "rate_limited")]
    assert stored(account.id).usage_poll_not_before == now + timedelta(seconds=150)
    entry = account_entry(client, caller, account.id)
    assert (entry["poll"]["outcome"], entry["poll"]["next_poll_after"]) == ("rate_limited", iso(now + timedelta(
        seconds=150)))
    assert entry["status"] == "ok"  # the usage endpoint's limit says nothing about inference
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=2 * INTERVAL))) == [
        ("skipped", "backing_off")]
    assert len(oauth_upstream.usage_requests()) == 1
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=150))) == [("polled", "ok")]
    assert len(oauth_upstream.usage_requests()) == 2
    assert account_entry(client, caller, account.id)["poll"]["outcome"] == "ok"


def test_retry_after_is_read_as_seconds_or_an_http_date():
    base = datetime(2025, 11, 25, 20, 0, 0)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Tue, 25 Nov 2025 20:05:00 GMT", now=base) == 300.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("99999999") == MAX_RETRY_AFTER_SECONDS
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("nan") is None


def test_a_403_is_recorded_and_not_retried_every_interval(client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-setup-token")
    oauth_upstream.serve("sk-ant-oat01-setup-token", {"type": "error", "error": {"type": "permission_error"}},
                         status=403)
    version = pool.current_usage_version()
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "forbidden")]
    entry = account_entry(client, caller, account.id)
    assert (entry["poll"]["outcome"], entry["poll"]["http_status"]) == ("forbidden", 403)
    assert "setup-token" in entry["poll"]["message"]
    assert entry["poll"]["next_poll_after"] == iso(now + FORBIDDEN_BACKOFF)
    assert entry["status"] == "ok" and pool.current_usage_version() == version + 1
    for hours in (1, 6, 23):
        assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(hours=hours))) == [
            ("skipped", "backing_off")]
    assert len(oauth_upstream.usage_requests()) == 1
    refresh_pool_usage(interval=INTERVAL, now=now + FORBIDDEN_BACKOFF)
    assert len(oauth_upstream.usage_requests()) == 2


def test_api_key_accounts_are_never_polled(factories, oauth_upstream, now):
    account = factories.pooled_account("team", api_key="sk-ant-api03-team")
    for step in range(3):
        assert refresh_pool_usage(interval=INTERVAL, now=now + timedelta(hours=step)) == [
            AccountResult(account.id, "team", "skipped", "api_key_account")]
    assert oauth_upstream.server.requests == []


def test_fresh_header_figures_make_a_poll_unnecessary(factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-busy-machine")
    oauth_upstream.serve("sk-ant-oat01-busy-machine", FLAT_PAYLOAD)
    record_rate_limit_headers(account.id, SUBSCRIPTION_HEADERS, now=now)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=INTERVAL - 1))) == [
        ("skipped", "headers_fresh")]
    assert oauth_upstream.usage_requests() == []
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=INTERVAL))) == [
        ("polled", "ok")]


def test_an_account_is_polled_once_per_interval(factories, oauth_upstream, now):
    oauth_account(factories, "sk-ant-oat01-steady")
    oauth_upstream.serve("sk-ant-oat01-steady", FLAT_PAYLOAD)
    seconds = [0, 1, INTERVAL - 1, INTERVAL, INTERVAL + 30, 2 * INTERVAL]
    actions = [outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=s)))[0] for s in seconds]
    assert actions == [("polled", "ok"), ("skipped", "polled_recently"), ("skipped", "polled_recently"),
                       ("polled", "ok"), ("skipped", "polled_recently"), ("polled", "ok")]
    assert len(oauth_upstream.usage_requests()) == 3


def test_a_lease_held_by_another_refresher_skips_the_account(factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-leased")
    oauth_upstream.serve("sk-ant-oat01-leased", FLAT_PAYLOAD)
    assert acquire_lease(lease_name(account.id), "another-machine", INTERVAL, now=now)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("skipped", "busy")]
    assert oauth_upstream.usage_requests() == []


def test_concurrent_passes_poll_each_account_once(app, factories, oauth_upstream, now):
    oauth_upstream.delay = 0.1
    for n in range(3):
        oauth_upstream.serve(oauth_account(factories, f"sk-ant-oat01-c{n}").label, FLAT_PAYLOAD)
    gate = oauth_upstream.hold_until_concurrent(2)
    barrier, results = threading.Barrier(2), []

    def run():
        with app.app_context():
            barrier.wait()
            results.extend(refresh_pool_usage(interval=INTERVAL, now=now))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gate.held_concurrent_requests(), "the two passes never polled at the same time"
    assert sorted(r.headers["Authorization"] for r in oauth_upstream.usage_requests()) == [
        f"Bearer sk-ant-oat01-c{n}" for n in range(3)]
    assert sum(r.action == "polled" for r in results) == 3
    assert {r.outcome for r in results if r.action == "skipped"} <= {"busy", "polled_recently"}


def test_unreachable_and_failing_endpoints_are_recorded_and_retried_next_interval(
        app, client, caller, factories, oauth_upstream, now):
    account = oauth_account(factories, "sk-ant-oat01-flaky")
    oauth_upstream.serve("sk-ant-oat01-flaky", {"error": "upstream exploded"}, status=500)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [("polled", "upstream_error")]
    poll = account_entry(client, caller, account.id)["poll"]
    assert (poll["outcome"], poll["http_status"], poll["next_poll_after"]) == ("upstream_error", 500, None)
    app.config["ANTHROPIC_OAUTH_USAGE_URL"] = "http://127.0.0.1:9/api/oauth/usage"
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=INTERVAL))) == [
        ("polled", "unreachable")]
    assert account_entry(client, caller, account.id)["poll"]["outcome"] == "unreachable"
    app.config["ANTHROPIC_OAUTH_USAGE_URL"] = oauth_upstream.usage_url
    oauth_upstream.serve("sk-ant-oat01-flaky", "not an object")
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now + timedelta(seconds=2 * INTERVAL))) == [
        ("polled", "invalid_response")]
    assert account_entry(client, caller, account.id)["windows"] == {}


def test_disabled_and_logged_out_accounts_are_skipped(factories, oauth_upstream, now):
    factories.pooled_account("active-key", api_key="sk-ant-api03-x")
    off = oauth_account(factories, "sk-ant-oat01-off")
    out = oauth_account(factories, "sk-ant-oat01-out")
    pool.set_pooled_account_disabled(off.id, True)
    account = pool.get_pooled_account(out.id)
    account.needs_relogin = True
    db.session.commit()
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [
        ("skipped", "api_key_account"), ("skipped", "disabled"), ("skipped", "needs_relogin")]
    assert oauth_upstream.server.requests == []


def test_a_pass_clears_expired_rate_limits_and_can_be_stopped(factories, oauth_upstream, now):
    account = factories.pooled_account("limited", api_key="sk-ant-api03-x")
    account.rate_limited_until = now - timedelta(minutes=1)
    db.session.commit()
    assert refresh_pool_usage(interval=INTERVAL, now=now, should_stop=lambda: True) == []
    assert pool.account_status(stored(account.id)) == "ok"


def test_one_broken_account_does_not_stop_the_pass(factories, oauth_upstream, now):
    broken = oauth_account(factories, "sk-ant-oat01-broken")
    account = pool.get_pooled_account(broken.id)
    account.oauth_access_token_encrypted = "not-a-fernet-token"
    db.session.commit()
    oauth_account(factories, "sk-ant-oat01-fine")
    oauth_upstream.serve("sk-ant-oat01-fine", FLAT_PAYLOAD)
    assert outcomes(refresh_pool_usage(interval=INTERVAL, now=now)) == [
        ("failed", "SecretUnreadable"), ("polled", "ok")]
    assert [r.headers["Authorization"] for r in oauth_upstream.usage_requests()] == ["Bearer sk-ant-oat01-fine"]
