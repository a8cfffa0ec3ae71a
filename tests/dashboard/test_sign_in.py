"""Signing in and out: JSON and form, cookie flags, throttling, CSRF on sign-in, safe redirects."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app import create_app
from app.services.accounts import users
from app.services.accounts.login_throttle import LIMITS, SCOPE_ACCOUNT, SCOPE_ADDRESS
from tests.conftest import _test_config


def _login(client, email, password, address="10.0.0.1"):
    client.fetch_csrf()
    return client.post("/api/v1/ai/login", json={"email": email, "password": password},
                       headers={"X-CSRFToken": client.csrf}, environ_base={"REMOTE_ADDR": address})


def test_json_sign_in_sets_a_session_and_sign_out_ends_it(make_client, factories):
    user = factories.user("ada@example.com")
    client = make_client()
    response = _login(client, "  ADA@example.com ", user.password)
    assert response.status_code == 200
    assert response.json["email"] == "ada@example.com" and response.json["is_admin"] is False
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.csrf = response.json["csrf_token"]
    assert client.get("/api/v1/ai/account").json["email"] == "ada@example.com"

    assert client.call("POST", "/api/v1/ai/logout").json == {"signed_out": True}
    assert client.get("/api/v1/ai/account").status_code == 401



def test_sign_out_revokes_a_copied_cookie_and_the_user_s_other_sessions(make_client, factories):
    user = factories.user()
    laptop, desktop, copy = make_client(), make_client(), make_client()
    laptop.csrf = _login(laptop, user.email, user.password).json["csrf_token"]
    desktop.csrf = _login(desktop, user.email, user.password).json["csrf_token"]
    copy.set_cookie("session", laptop.get_cookie("session").value)
    assert copy.get("/api/v1/ai/account").status_code == 200

    assert laptop.call("POST", "/api/v1/ai/logout").json == {"signed_out": True}
    for client in (laptop, copy, desktop):
        refused = client.get("/api/v1/ai/account")
        assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthenticated"
    # Signing in again works, and the new session is not touched by the old one's sign-out.
    laptop.csrf = _login(laptop, user.email, user.password).json["csrf_token"]
    assert laptop.get("/api/v1/ai/account").json["email"] == user.email

def test_the_csrf_token_changes_at_sign_in(make_client, factories):
    user = factories.user()
    client = make_client()
    before = client.fetch_csrf()
    response = client.post("/api/v1/ai/login", json={"email": user.email, "password": user.password},
                           headers={"X-CSRFToken": before})
    after = response.json["csrf_token"]
    assert after != before
    # The pre-sign-in token is dead: a token planted before sign-in cannot be used after it.
    stale = client.open("/api/v1/ai/account/rotate", method="POST", headers={"X-CSRFToken": before})
    assert stale.status_code == 400 and stale.json["error"]["code"] == "csrf_failed"
    assert client.open("/api/v1/ai/account/rotate", method="POST", headers={"X-CSRFToken": after}).status_code == 200


def test_sign_in_needs_a_csrf_token(make_client, factories):
    user = factories.user()
    client = make_client()
    client.fetch_csrf()
    response = client.post("/api/v1/ai/login", json={"email": user.email, "password": user.password})
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    form = client.post("/dashboard/login", data={"email": user.email, "password": user.password})
    assert form.status_code == 400 and b"Reload the page" in form.data
    assert client.get("/api/v1/ai/account").status_code == 401


def test_wrong_password_and_unknown_email_get_the_same_answer(make_client, factories):
    user = factories.user("ada@example.com")
    wrong = _login(make_client(), user.email, "not-the-password")
    unknown = _login(make_client(), "nobody@example.com", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json == {"error": {"code": "invalid_credentials",
                                                    "message": "Incorrect email or password."}}


def test_sign_in_input_is_validated(make_client):
    client = make_client()
    client.fetch_csrf()
    response = client.call("POST", "/api/v1/ai/login", json={"email": 5})
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"email": ["Not a valid string."],
                                                "password": ["Missing data for required field."]}
    bad = client.call("POST", "/api/v1/ai/login", data=b"[1, 2]", content_type="application/json")
    assert bad.status_code == 400 and bad.json["error"]["message"] == "The request body must be a JSON object."


def test_an_account_is_locked_after_repeated_failures_even_for_the_right_password(make_client, factories):
    user = factories.user()
    limit = LIMITS[SCOPE_ACCOUNT].max_failures
    client = make_client()
    for attempt in range(limit):
        # Failures from different addresses still count against the account.
        assert _login(client, user.email, f"wrong-{attempt}", address=f"10.0.1.{attempt}").status_code == 401
    locked = _login(client, user.email, user.password, address="10.0.2.1")
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "too_many_attempts"
    assert locked.json["error"]["message"] == "Too many failed sign-in attempts. Try again in 15 minutes."
    assert 840 < int(locked.headers["Retry-After"]) <= 900
    # Another account from the same addresses is unaffected.
    other = factories.user()
    assert _login(make_client(), other.email, other.password, address="10.0.1.0").status_code == 200


def test_unknown_emails_are_locked_exactly_like_known_ones(make_client):
    client = make_client()
    answers = [_login(client, "ghost@example.com", "guess-%d" % i, address=f"10.9.0.{i}").status_code
               for i in range(LIMITS[SCOPE_ACCOUNT].max_failures + 1)]
    assert answers[-1] == 429 and set(answers[:-1]) == {401}


def test_an_address_is_locked_after_many_failures_across_accounts(make_client, factories):
    user = factories.user()
    client = make_client()
    for attempt in range(LIMITS[SCOPE_ADDRESS].max_failures):
        assert _login(client, f"guess{attempt}@example.com", "wrong-password", address="10.7.7.7").status_code == 401
    blocked = _login(client, user.email, user.password, address="10.7.7.7")
    assert blocked.status_code == 429
    assert _login(make_client(), user.email, user.password, address="10.7.7.8").status_code == 200


def test_a_successful_sign_in_clears_the_account_counter(make_client, factories):
    user = factories.user()
    client = make_client()
    limit = LIMITS[SCOPE_ACCOUNT].max_failures
    for attempt in range(limit - 1):
        _login(client, user.email, "wrong-password", address=f"10.3.0.{attempt}")
    assert _login(make_client(), user.email, user.password, address="10.3.1.1").status_code == 200
    for attempt in range(limit - 1):
        assert _login(client, user.email, "wrong-password", address=f"10.3.2.{attempt}").status_code == 401
    assert _login(make_client(), user.email, user.password, address="10.3.3.1").status_code == 200


def test_the_sign_in_page_shows_the_throttle_and_credential_messages(make_client, factories):
    user = factories.user()
    client = make_client()
    page = client.get("/dashboard/login")
    assert page.status_code == 200 and b'name="csrf_token"' in page.data
    wrong = client.form("/dashboard/login", {"email": user.email, "password": "nope-nope"})
    assert wrong.status_code == 401 and b"Incorrect email or password." in wrong.data
    for _ in range(LIMITS[SCOPE_ACCOUNT].max_failures):
        last = client.form("/dashboard/login", {"email": user.email, "password": "nope-nope"})
    last = client.form("/dashboard/login", {"email": user.email, "password": user.password})
    assert last.status_code == 429 and b"Too many failed sign-in attempts" in last.data


def test_pages_send_signed_out_visitors_to_sign_in_and_back(make_client, factories):
    user = factories.user()
    client = make_client()
    response = client.get("/dashboard/keys?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/login?next=/dashboard/keys?x%3D1"
    signed_in = client.form("/dashboard/login", {"email": user.email, "password": user.password,
                                                 "next": "/dashboard/keys?x=1"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/dashboard/keys?x=1"
    assert client.get("/dashboard/keys").status_code == 200


def test_sign_in_never_redirects_off_site(make_client, factories):
    user = factories.user()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = make_client()
        response = client.form("/dashboard/login", {"email": user.email, "password": user.password, "next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard/", target


def test_under_the_ai_mirror_links_and_redirects_keep_the_prefix(make_client, factories):
    user = factories.user()
    client = make_client()
    response = client.get("/ai/dashboard/")
    assert response.headers["Location"] == "/ai/dashboard/login?next=/dashboard/"
    page = client.get("/ai/dashboard/login")
    assert b'action="/ai/dashboard/login"' in page.data and b'href="/ai/dashboard/static/dashboard.css"' in page.data
    signed_in = client.form("/ai/dashboard/login", {"email": user.email, "password": user.password,
                                                    "next": "/dashboard/machines"})
    assert signed_in.headers["Location"] == "/ai/dashboard/machines"
    machines = client.get("/ai/dashboard/machines")
    assert b'href="/ai/dashboard/keys"' in machines.data


def test_changing_the_password_ends_existing_sessions(make_client, factories):
    user = factories.user()
    client = make_client(user)
    assert client.get("/api/v1/ai/account").status_code == 200
    users.set_password(user, "a-brand-new-password")
    assert client.get("/api/v1/ai/account").status_code == 401


def test_the_session_cookie_is_secure_outside_development():
    probe = tempfile.mkdtemp()

    class Production(_test_config(probe)):
        SESSION_COOKIE_SECURE = True

    app = create_app(Production)
    response = app.test_client().get("/api/v1/ai/csrf-token")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    root = Path(__file__).resolve().parents[2]
    code = "import config; print(config.Config.SESSION_COOKIE_SECURE, config.Config.REMEMBER_COOKIE_SECURE)"
    for env, expected in (("production", "True True"), ("development", "False False")):
        out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                             env={**os.environ, "APP_ENV": env}, check=True)
        assert out.stdout.strip() == expected
