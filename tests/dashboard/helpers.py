"""Dashboard test helpers: a browser-like client (cookies, CSRF), and ledger rows written directly."""
import itertools
from datetime import timedelta

from flask.testing import FlaskClient

from app.extensions import db
from app.models import ClaudeRequest, SpendBucket
from app.models.base import utcnow
from app.services.pool import usage_snapshot
from app.services.quota.window import hour_floor

_ids = itertools.count(1)


class DashboardClient(FlaskClient):
    """A cookie-keeping client whose every request runs in its own app context, as in production.

    The suite's autouse fixture holds one app context for the whole test; without a fresh one
    per request, `g` (Flask-Login's cached user, Flask-WTF's cached token) would leak between
    requests and between clients.
    """

    csrf = None

    def open(self, *args, **kwargs):
        # End the test's own transaction first: on SQLite it would keep a stale snapshot and
        # fail to write after the request's session has written.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def fetch_csrf(self):
        """Ask the API for this session's CSRF token and remember it."""
        response = self.get("/api/v1/ai/csrf-token")
        assert response.status_code == 200, response.data
        self.csrf = response.json["csrf_token"]
        return self.csrf

    def login(self, user, password=None):
        """Sign in through the JSON API; keeps the new session's CSRF token."""
        self.fetch_csrf()
        response = self.post("/api/v1/ai/login", json={"email": user.email, "password": password or user.password},
                             headers={"X-CSRFToken": self.csrf})
        assert response.status_code == 200, response.data
        self.csrf = response.json["csrf_token"]
        return self

    def call(self, method, path, json=None, *, csrf=True, **kwargs):
        """A JSON request carrying the CSRF header (unless csrf=False)."""
        headers = dict(kwargs.pop("headers", {}))
        if csrf and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        return self.open(path, method=method, json=json, headers=headers, **kwargs)

    def form(self, path, data=None, *, csrf=True, **kwargs):
        """An HTML form POST carrying the csrf_token field (unless csrf=False)."""
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf or self.fetch_csrf())
        return self.post(path, data=data, **kwargs)


def refresh(obj):
    """Re-read a row after requests changed it in their own sessions."""
    db.session.rollback()
    db.session.refresh(obj)
    return obj


def add_claude_request(machine, *, started_at=None, input_tokens=0, output_tokens=0, cache_creation=0,
                       cache_5m=0, cache_1h=0, cache_read=0, cost_micro_usd=0):
    """A finished proxied request in the ledger, as the proxy writes it."""
    row = ClaudeRequest(
        request_id=f"req_test_{next(_ids)}", user_id=machine.user_id, machine_id=machine.id, method="POST",
        path="/v1/messages", model="claude-sonnet-4-5", stream=False, status_code=200, outcome="ok",
        input_tokens=input_tokens, output_tokens=output_tokens, cache_creation_input_tokens=cache_creation,
        cache_creation_5m_tokens=cache_5m, cache_creation_1h_tokens=cache_1h, cache_read_input_tokens=cache_read,
        cost_micro_usd=cost_micro_usd, started_at=started_at or utcnow(), finished_at=started_at or utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def add_spend(user, micro_usd, *, at=None, overage_micro_usd=0):
    """Settled OpenAI-side spend in the hour bucket containing `at` (default: now)."""
    start = hour_floor(at or utcnow())
    bucket = db.session.get(SpendBucket, (user.id, start))
    if bucket is None:
        bucket = SpendBucket(user_id=user.id, bucket_start=start, spend_micro_usd=0, overage_micro_usd=0,
                             request_count=0)
        db.session.add(bucket)
    bucket.spend_micro_usd += micro_usd
    bucket.overage_micro_usd += overage_micro_usd
    bucket.request_count += 1
    db.session.commit()
    return bucket


def days_ago(days, hours=0):
    """A naive-UTC moment `days` (and `hours`) before now."""
    return utcnow() - timedelta(days=days, hours=hours)


def record_pool_usage(account, five_hour, seven_day):
    """Cached 5-hour and 7-day utilisation for a pooled account, as the refresher stores it."""
    usage_snapshot.record_usage_update(account.id, {"windows": {
        "five_hour": {"utilization_percent": five_hour, "resets_at": "2026-11-25T22:00:00Z"},
        "seven_day": {"utilization_percent": seven_day, "resets_at": "2026-11-30T08:00:00Z"}}},
        source=usage_snapshot.SOURCE_USAGE_ENDPOINT, now=utcnow())
