"""Every dashboard route, found from the URL map: signed out, without or with a wrong CSRF token,
and as a non-admin on admin routes. New routes are covered the moment they are added."""
import re

from flask import Blueprint, jsonify

from app import create_app
from app.models import LlmKey, Machine, PooledAccount, Skill, SkillAccessKey, User
from app.services.skills import registry as skills
from tests.skills.conftest import skill_md
from tests.dashboard.helpers import refresh

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = {("dashboard.api.csrf_token", "GET"), ("dashboard.api.login", "POST"),
          ("dashboard.pages.login", "GET"), ("dashboard.pages.login", "POST"), ("dashboard.home", "GET")}

SEED_ROUTES = {
    ("GET", "/api/v1/ai/account"), ("POST", "/api/v1/ai/account/rotate"),
    ("GET", "/api/v1/ai/usage-token"), ("POST", "/api/v1/ai/usage-token"),
    ("GET", "/api/v1/ai/machines"), ("GET", "/api/v1/ai/llm-keys"), ("POST", "/api/v1/ai/llm-keys"),
    ("POST", "/api/v1/ai/llm-keys/<id:key_id>/rotate"), ("DELETE", "/api/v1/ai/llm-keys/<id:key_id>"),
    ("GET", "/api/v1/ai/accounts"),
    ("GET", "/api/v1/ai/skills"), ("POST", "/api/v1/ai/skills/access-key"), ("DELETE", "/api/v1/ai/skills/<name>"),
}


def dashboard_routes(app):
    """(endpoint, method, rule) for every dashboard route except static files."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard.") or rule.endpoint == "dashboard.static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule))
    return routes


def build_path(rule, ids):
    """A concrete path for a rule, filling its arguments (any converter) from `ids`."""
    path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda match: str(ids[match.group(1)]), rule.rule)
    assert "<" not in path, path
    return path


def is_api(endpoint):
    return endpoint.startswith(("dashboard.api.", "dashboard.admin_api."))


def is_admin_route(endpoint):
    return endpoint.startswith(("dashboard.admin_api.", "dashboard.admin_pages."))


def test_the_seed_endpoints_exist_exactly(app):
    present = {(method, rule.rule) for _endpoint, method, rule in dashboard_routes(app)}
    assert SEED_ROUTES <= present


def test_signed_out_the_api_answers_401_json_and_pages_redirect_to_sign_in(app, make_client):
    client = make_client()
    ids = {"machine_id": 1, "key_id": 1, "account_id": 1, "user_id": 1, "skill_id": 1, "name": "m"}
    problems, checked = [], 0
    for endpoint, method, rule in dashboard_routes(app):
        if (endpoint, method) in PUBLIC:
            continue
        response = client.open(build_path(rule, ids), method=method)
        checked += 1
        if is_api(endpoint):
            if response.status_code != 401 or response.json["error"]["code"] != "unauthenticated":
                problems.append((endpoint, method, response.status_code))
        elif response.status_code != 302 or "/dashboard/login" not in response.headers["Location"]:
            problems.append((endpoint, method, response.status_code))
    assert problems == []
    assert checked >= 50


def _objects_of(admin, factories):
    model = factories.model("only-model")
    machine = factories.machine(admin)
    key = factories.llm_key(admin, [model])
    factories.pooled_account("first")
    second = factories.pooled_account("second")
    other = factories.user()
    # The admin's own skill, named like the model: every skill route (by name or id) hits a real row.
    skill, _ = skills.import_skill(admin, skill_md(model.name))
    skills.get_or_create_access_key(admin)
    return {"machine_id": machine.id, "key_id": key.id, "account_id": second.id, "user_id": other.id,
            "skill_id": skill.id, "name": model.name}, machine, key, second, other


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, make_client, factories):
    admin = factories.user(admin=True)
    ids, machine, key, account, other = _objects_of(admin, factories)
    client = make_client(admin)
    foreign_token = make_client().fetch_csrf()  # valid, but for another session
    key_digest = skills.get_access_key(admin).key_digest
    problems, checked = [], 0
    for endpoint, method, rule in dashboard_routes(app):
        if method not in STATE_CHANGING:
            continue
        for headers in ({}, {"X-CSRFToken": foreign_token}, {"X-CSRFToken": "not-a-token"}):
            response = client.open(build_path(rule, ids), method=method, json={}, headers=headers)
            checked += 1
            ok = response.status_code == 400 and (
                response.json["error"]["code"] == "csrf_failed" if is_api(endpoint)
                else b"Reload the page and try again" in response.data)
            if not ok:
                problems.append((endpoint, method, headers, response.status_code))
    assert problems == []
    assert checked >= 3 * 35
    # Nothing happened: the same objects are still there, unchanged.
    assert refresh(machine).revoked_at is None and not machine.passthrough
    assert refresh(key).deleted_at is None and key.rotated_at is None
    assert refresh(account).disabled is False
    assert {a.label for a in PooledAccount.query.all()} == {"first", "second"}
    assert refresh(other).cap_micro_usd == 20_000_000
    assert User.query.count() == 2 and Machine.query.count() == 1 and LlmKey.query.count() == 1
    assert [(s.name, s.is_public) for s in Skill.query.all()] == [("only-model", False)]
    assert SkillAccessKey.query.one().key_digest == key_digest


def test_a_form_token_is_accepted_as_well_as_the_header(make_client, factories):
    user = factories.user()
    client = make_client(user)
    response = client.post("/api/v1/ai/usage-token", data={"csrf_token": client.csrf, "x": "1"})
    # The CSRF check passed (the body is not JSON, so validation answers, not the CSRF guard).
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_request"


def test_non_admins_get_403_on_every_admin_route(app, make_client, factories):
    admin = factories.user(admin=True)
    ids, *_ = _objects_of(admin, factories)
    client = make_client(factories.user())
    problems, checked = [], 0
    for endpoint, method, rule in dashboard_routes(app):
        if not is_admin_route(endpoint):
            continue
        response = client.call(method, build_path(rule, ids), json={} if method in STATE_CHANGING else None)
        checked += 1
        ok = response.status_code == 403 and (
            response.json["error"]["code"] == "permission_denied" if is_api(endpoint)
            else b"Only administrators" in response.data)
        if not ok:
            problems.append((endpoint, method, response.status_code))
    assert problems == []
    assert checked >= 20


def test_csrf_is_not_applied_to_other_blueprints(app):
    """Token-authenticated APIs (proxy, OpenAI, usage, CLI, skills) never ask for a CSRF token."""
    assert app.config["WTF_CSRF_CHECK_DEFAULT"] is False
    from tests.conftest import _test_config
    import tempfile

    token_api = Blueprint("token_api_probe", __name__)

    @token_api.post("/usage/accounts/<int:account_id>/probe")
    def probe(account_id):
        return jsonify(ok=account_id)

    probe_app = create_app(_test_config(tempfile.mkdtemp()))
    probe_app.register_blueprint(token_api)
    client = probe_app.test_client()
    client.get("/api/v1/ai/csrf-token")  # the client now holds a session cookie
    response = client.post("/usage/accounts/7/probe", json={})
    assert response.status_code == 200 and response.json == {"ok": 7}


def test_dashboard_responses_are_not_cached_or_framed(make_client, factories):
    client = make_client(factories.user())
    for path in ("/api/v1/ai/account", "/dashboard/"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
    page = client.get("/dashboard/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_oversized_bodies_are_refused_before_parsing(make_client, factories):
    client = make_client(factories.user())
    response = client.call("POST", "/api/v1/ai/llm-keys", data=b"{" + b" " * (300 * 1024) + b"}",
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_too_large"
