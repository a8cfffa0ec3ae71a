"""The usage cache: unified and API-key headers, both usage-endpoint shapes, merging, versioning."""
from datetime import timedelta

from app.caches import reset_caches
from app.extensions import db
from app.models.base import utcnow
from app.services.pool import accounts as pool
from app.services.pool import usage_snapshot
from app.services import timestamps
from app.services.pool.usage_signals import parse_rate_limit_headers, parse_usage_payload
from app.services.pool.usage_snapshot import record_rate_limit_headers, record_usage_update

SUBSCRIPTION_HEADERS = {
    "anthropic-ratelimit-unified-status": "allowed",
    "anthropic-ratelimit-unified-reset": "1764108000",
    "anthropic-ratelimit-unified-5h-status": "allowed",
    "anthropic-ratelimit-unified-5h-utilization": "0.42",
    "anthropic-ratelimit-unified-5h-reset": "1764108000",
    "anthropic-ratelimit-unified-7d-status": "allowed_warning",
    "anthropic-ratelimit-unified-7d-utilization": "0.8",
    "anthropic-ratelimit-unified-7d-reset": "1764626400",
    "anthropic-ratelimit-unified-7d_oi-utilization": "0.05",
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
    "anthropic-ratelimit-unified-fallback-percentage": "0.5",
    "anthropic-ratelimit-unified-overage-status": "rejected",
    "anthropic-ratelimit-unified-overage-disabled-reason": "out_of_credits",
    "request-id": "req_abc",
    "content-type": "application/json",
}
API_KEY_HEADERS = {
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
    "anthropic-ratelimit-requests-reset": "2025-11-25T21:00:00Z",
    "anthropic-ratelimit-tokens-limit": "400000",
    "anthropic-ratelimit-tokens-remaining": "399000",
    "anthropic-ratelimit-tokens-reset": "2025-11-25T21:00:01Z",
    "anthropic-ratelimit-input-tokens-remaining": "200000",
    "anthropic-ratelimit-output-tokens-remaining": "80000",
}


def test_unified_headers_become_percent_windows_in_iso_time():
    update = parse_rate_limit_headers(SUBSCRIPTION_HEADERS)
    five = update["windows"]["five_hour"]
    assert five == {"utilization_percent": 42.0, "resets_at": "2025-11-25T22:00:00Z", "status": "allowed"}
    assert update["windows"]["seven_day"]["utilization_percent"] == 80.0
    assert update["windows"]["seven_day"]["status"] == "allowed_warning"
    assert update["windows"]["seven_day_oi"]["utilization_percent"] == 5.0
    assert update["unified"]["representative_claim"] == "five_hour"
    assert update["unified"]["overage_disabled_reason"] == "out_of_credits"
    assert update["unified"]["fallback_percentage"] == 0.5


def test_header_names_are_case_insensitive_and_other_headers_ignored():
    upper = {k.title(): v for k, v in SUBSCRIPTION_HEADERS.items()}
    assert parse_rate_limit_headers(upper) == parse_rate_limit_headers(SUBSCRIPTION_HEADERS)
    assert parse_rate_limit_headers({"content-type": "text/plain", "request-id": "x"}) is None


def test_api_key_headers_become_rate_limits():
    limits = parse_rate_limit_headers(API_KEY_HEADERS)["rate_limits"]
    assert limits["requests"] == {"limit": 4000, "remaining": 3999, "resets_at": "2025-11-25T21:00:00Z"}
    assert limits["input_tokens"] == {"remaining": 200000}
    assert limits["output_tokens"] == {"remaining": 80000}


def test_garbage_header_values_do_not_break_parsing():
    update = parse_rate_limit_headers({"anthropic-ratelimit-unified-5h-utilization": "lots",
                                       "anthropic-ratelimit-unified-5h-reset": "soon",
                                       "anthropic-ratelimit-requests-remaining": "nan"})
    assert update["windows"]["five_hour"] == {"utilization_percent": None, "resets_at": None}
    assert update["rate_limits"]["requests"] == {"remaining": None}


def test_flat_usage_payload_keeps_percentages():
    payload = {
        "five_hour": {"utilization": 19.0, "resets_at": "2025-11-25T22:00:00.288792+00:00"},
        "seven_day": {"utilization": 7.0, "resets_at": "2025-12-01T21:00:00.288804+00:00"},
        "seven_day_oauth_apps": {"utilization": 0.0, "resets_at": None},
        "seven_day_opus": None,
        "iguana_necktie": None,
        "extra_usage": {"is_enabled": False, "monthly_limit": None, "used_credits": None, "utilization": None},
    }
    update = parse_usage_payload(payload)
    assert update["windows"]["five_hour"] == {"utilization_percent": 19.0, "resets_at": "2025-11-25T22:00:00Z"}
    assert update["windows"]["seven_day"]["resets_at"] == "2025-12-01T21:00:00Z"
    assert update["windows"]["seven_day_oauth_apps"] == {"utilization_percent": 0.0, "resets_at": None}
    assert "seven_day_opus" not in update["windows"]
    assert update["extra_usage"]["is_enabled"] is False


def test_limits_payload_shape_with_per_model_weekly_windows():
    payload = {"limits": [
        {"kind": "session", "group": "all", "percent": 33.5, "severity": "normal",
         "resets_at": "2026-11-25T22:00:00Z", "is_active": True},
        {"kind": "weekly_all", "percent": 61, "severity": "warning", "resets_at": "2026-11-30T00:00:00Z"},
        {"kind": "weekly_scoped", "percent": 90, "severity": "critical", "resets_at": "2026-11-30T00:00:00Z",
         "scope": {"model": {"id": "claude-opus-4", "display_name": "Opus"}, "surface": "all"}},
    ], "spend": {"x": 1}}
    windows = parse_usage_payload(payload)["windows"]
    assert windows["five_hour"]["utilization_percent"] == 33.5
    assert windows["five_hour"]["severity"] == "normal"
    assert windows["seven_day"]["utilization_percent"] == 61.0
    assert windows["seven_day_opus"] == {"utilization_percent": 90.0, "resets_at": "2026-11-30T00:00:00Z",
                                         "severity": "critical"}


def test_recording_headers_writes_once_then_only_on_change_or_staleness(factories):
    account = factories.pooled_account()
    now = utcnow()
    version = pool.current_usage_version()
    assert record_rate_limit_headers(account.id, SUBSCRIPTION_HEADERS, now=now)
    assert pool.current_usage_version() == version + 1
    # the same values a moment later: no write, no version change
    reset_caches()
    assert not record_rate_limit_headers(account.id, SUBSCRIPTION_HEADERS, now=now + timedelta(seconds=5))
    assert pool.current_usage_version() == version + 1
    # a changed value is written at once
    changed = dict(SUBSCRIPTION_HEADERS, **{"anthropic-ratelimit-unified-5h-utilization": "0.43"})
    assert record_rate_limit_headers(account.id, changed, now=now + timedelta(seconds=6))
    # unchanged values are re-stamped once the observation is stale
    reset_caches()
    later = now + timedelta(seconds=usage_snapshot.HEADER_REFRESH_SECONDS + 10)
    assert record_rate_limit_headers(account.id, changed, now=later)
    db.session.rollback()
    snapshot = pool.get_pooled_account(account.id).usage_snapshot
    assert snapshot["windows"]["five_hour"]["observed_at"] == timestamps.iso(later)
    assert snapshot["windows"]["five_hour"]["source"] == "headers"


def test_endpoint_and_header_sources_merge_window_by_window(factories):
    account = factories.pooled_account(oauth_access_token="sk-ant-oat01-x")
    now = utcnow()
    record_usage_update(account.id, parse_usage_payload(
        {"five_hour": {"utilization": 10, "resets_at": None},
         "seven_day_opus": {"utilization": 50, "resets_at": None}}),
        source="usage_endpoint", now=now)
    record_rate_limit_headers(account.id, {"anthropic-ratelimit-unified-5h-utilization": "0.2"},
                              now=now + timedelta(seconds=1))
    db.session.rollback()
    windows = pool.get_pooled_account(account.id).usage_snapshot["windows"]
    assert (windows["five_hour"]["utilization_percent"], windows["five_hour"]["source"]) == (20.0, "headers")
    assert (windows["seven_day_opus"]["utilization_percent"], windows["seven_day_opus"]["source"]) == (
        50.0, "usage_endpoint")


def test_snapshots_never_carry_credentials(factories):
    account = factories.pooled_account(api_key="sk-ant-api03-do-not-leak")
    payload = usage_snapshot.pool_snapshot(pool.list_pooled_accounts())
    assert "do-not-leak" not in str(payload)
    [entry] = payload["accounts"]
    assert entry["id"] == account.id and entry["active"] is True and entry["status"] == "ok"
    assert payload["version"] == pool.current_usage_version()


def test_an_update_that_changes_nothing_visible_is_not_written(factories):
    account = factories.pooled_account(oauth_access_token="sk-ant-oat01-x")
    now = utcnow()
    update = parse_usage_payload({"five_hour": {"utilization": 10, "resets_at": None}})
    assert record_usage_update(account.id, update, source="usage_endpoint", now=now)
    version = pool.current_usage_version()
    assert not record_usage_update(account.id, update, source="usage_endpoint", now=now)
    assert pool.current_usage_version() == version
    assert record_usage_update(account.id, update, source="usage_endpoint", now=now + timedelta(seconds=1))
    assert pool.current_usage_version() == version + 1  # observed_at moved: the payload changed


def test_an_endpoint_report_replaces_its_own_windows_and_keeps_header_ones():
    now = utcnow()
    old = usage_snapshot.merge_snapshot({}, {"windows": {"seven_day_opus": {"utilization_percent": 50.0},
                                                      "five_hour": {"utilization_percent": 5.0}}},
                                     source="usage_endpoint", now=now)
    old = usage_snapshot.merge_snapshot(old, {"windows": {"seven_day_oi": {"utilization_percent": 1.0}}},
                                     source="headers", now=now)
    new = usage_snapshot.merge_snapshot(old, {"windows": {"five_hour": {"utilization_percent": 6.0}}},
                                     source="usage_endpoint", now=now)
    assert set(new["windows"]) == {"five_hour", "seven_day_oi"}
    # a header update never drops anything
    assert set(usage_snapshot.merge_snapshot(old, {"windows": {}}, source="headers", now=now)["windows"]) == set(
        old["windows"])
    # a poll outcome alone leaves the windows alone
    polled = usage_snapshot.merge_snapshot(old, {"poll": {"outcome": "forbidden"}}, source="usage_endpoint", now=now)
    assert polled["windows"] == old["windows"] and polled["poll"]["outcome"] == "forbidden"


def test_pool_snapshot_uses_the_version_it_is_given(factories):
    factories.pooled_account()
    accounts = pool.list_pooled_accounts()
    assert usage_snapshot.pool_snapshot(accounts, version=41)["version"] == 41
    assert usage_snapshot.pool_snapshot(accounts)["version"] == pool.current_usage_version()
