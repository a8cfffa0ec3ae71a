"""Brute-force limiting at every sign-in entry point, driven by the throttle's clock seam.

Sign-in with a password exists in two places: the dashboard's JSON API (POST /api/v1/ai/login)
and its HTML form (POST /dashboard/login). They share one throttle (app.services.login_throttle),
so failures at either count toward a lock at both. The token APIs (proxy, OpenAI, usage, CLI,
skills) take 32-byte random secrets, not passwords: there is nothing there to guess.
"""
from datetime import timedelta

import pytest

from app.models.base import utcnow
from app.services.accounts import login_throttle
from app.services.accounts.login_throttle import LIMITS, SCOPE_ACCOUNT, SCOPE_ADDRESS
from tests.access.conftest import browser
from tests.access.routes import ROUTES

LOCK_MESSAGE = "Too many failed sign-in attempts. Try again in 15 minutes."
LOCKOUT_SECONDS = int(LIMITS[SCOPE_ACCOUNT].lockout.total_seconds())


class Clock:
    """The throttle's notion of now, moved by the test (no sleeping)."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(login_throttle, "utcnow", clock)
    return clock


def json_sign_in(app, email, password, address):
    client = browser(app)
    client.fetch_csrf()
    return client.post("/api/v1/ai/login", json={"email": email, "password": password},
                       headers={"X-CSRFToken": client.csrf}, environ_base={"REMOTE_ADDR": address})


def form_sign_in(app, email, password, address):
    client = browser(app)
    client.fetch_csrf()
    return client.post("/dashboard/login", data={"email": email, "password": password, "csrf_token": client.csrf},
                       environ_base={"REMOTE_ADDR": address})


ENTRY_POINTS = {"json": json_sign_in, "form": form_sign_in}


def assert_bad_password(entry, response):
    assert response.status_code == 401
    if entry == "json":
        assert response.json == {"error": {"code": "invalid_credentials", "message": "Incorrect email or password."}}
    else:
        assert response.mimetype == "text/html" and b"Incorrect email or password." in response.data


def assert_locked(entry, response, max_seconds=LOCKOUT_SECONDS):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= max_seconds
    if entry == "json":
        assert set(response.json) == {"error"}
        assert response.json["error"]["code"] == "too_many_attempts"
        assert response.json["error"]["message"].startswith("Too many failed sign-in attempts. Try again in ")
    else:
        assert response.mimetype == "text/html" and b"Too many failed sign-in attempts. Try again in " in response.data
    assert "Set-Cookie" not in response.headers or "_user_id" not in response.headers["Set-Cookie"]


def assert_signed_in(entry, response):
    if entry == "json":
        assert response.status_code == 200, response.data
    else:
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard/", response.data


def test_every_password_sign_in_is_a_public_dashboard_route():
    """The entry points here are every route that takes a password (the rest take random secrets)."""
    assert {(endpoint, method) for (endpoint, method, _rule), route in ROUTES.items()
            if endpoint.endswith(".login") and method == "POST"} == {("dashboard.api.login", "POST"),
                                                                    ("dashboard.pages.login", "POST")}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_repeated_bad_passwords_lock_the_account_until_the_window_passes(entry, app, factories, clock, leak_scan):
    sign_in = ENTRY_POINTS[entry]
    user = factories.user()
    leak_scan.watch(user.password)  # no answer or log line repeats a password, right or wrong
    for attempt in range(LIMITS[SCOPE_ACCOUNT].max_failures):
        wrong = f"wrong-password-{attempt}"
        leak_scan.watch(wrong)
        assert_bad_password(entry, sign_in(app, user.email, wrong, f"10.20.0.{attempt}"))
    # Locked: the right password is refused too, from any address, with the same answer.
    locked = sign_in(app, user.email, user.password, "10.20.1.1")
    assert_locked(entry, locked)
    assert int(locked.headers["Retry-After"]) == LOCKOUT_SECONDS
    assert_locked(entry, sign_in(app, user.email, "wrong-again", "10.20.1.2"))
    clock.advance(minutes=14, seconds=59)
    still = sign_in(app, user.email, user.password, "10.20.1.3")
    assert_locked(entry, still)
    assert int(still.headers["Retry-After"]) == 1
    clock.advance(seconds=1)
    assert_signed_in(entry, sign_in(app, user.email, user.password, "10.20.1.4"))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_the_other_entry_point_is_locked_as_well(entry, app, factories, clock):
    """Failures at one entry point lock the account at both: there is no second door."""
    sign_in = ENTRY_POINTS[entry]
    other_entry = next(name for name in ENTRY_POINTS if name != entry)
    user = factories.user()
    for attempt in range(LIMITS[SCOPE_ACCOUNT].max_failures):
        sign_in(app, user.email, f"wrong-{attempt}", "10.21.0.1")
    assert_locked(other_entry, ENTRY_POINTS[other_entry](app, user.email, user.password, "10.21.0.2"))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_address_guessing_across_accounts_is_locked(entry, app, factories, clock):
    sign_in = ENTRY_POINTS[entry]
    user = factories.user()
    for attempt in range(LIMITS[SCOPE_ADDRESS].max_failures):
        assert_bad_password(entry, sign_in(app, f"guess{attempt}@example.com", "wrong-password", "10.22.0.1"))
    assert_locked(entry, sign_in(app, user.email, user.password, "10.22.0.1"))
    # Only that address: the user signs in from elsewhere.
    assert_signed_in(entry, sign_in(app, user.email, user.password, "10.22.0.2"))
    clock.advance(seconds=LOCKOUT_SECONDS)
    assert_signed_in(entry, sign_in(app, user.email, user.password, "10.22.0.1"))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_unknown_emails_are_limited_exactly_like_known_ones(entry, app, factories, clock):
    sign_in = ENTRY_POINTS[entry]
    user = factories.user()
    known = [sign_in(app, user.email, "wrong-password", "10.23.0.1")
             for _ in range(LIMITS[SCOPE_ACCOUNT].max_failures + 1)]
    unknown = [sign_in(app, "nobody@example.com", "wrong-password", "10.23.0.2")
               for _ in range(LIMITS[SCOPE_ACCOUNT].max_failures + 1)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    if entry == "json":
        assert [r.json for r in known] == [r.json for r in unknown]
    assert known[-1].headers["Retry-After"] == unknown[-1].headers["Retry-After"]
