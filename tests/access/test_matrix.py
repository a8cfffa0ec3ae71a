"""The access-control matrix: every route of the app × every kind of bad credential.

Each case answers with the exact status and error shape of the route's surface, or is marked
not applicable (with the reason) in NOT_APPLICABLE; `valid` is the control proving that the
credentials the other cases spoil do get in. Another user's object id answers exactly as an
unknown id: same status, same body (the id itself aside).
"""
import itertools
import re
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from itsdangerous import TimestampSigner

from app.services.openai import keys as llm_keys
from app.services.credentials import machines
from app.services.skills import registry as skills
from app.services.credentials import user_tokens
from app.services.accounts import users
from app.services.credentials.user_tokens import rotate_account_key
from tests.access.conftest import browser
from tests.access.routes import ROUTES, STATE_CHANGING, app_routes, table_key
from tests.access.shapes import (anthropic_error, html_error, json_error, not_refused, openai_error, same_answer,
                                 sign_in_redirect)
from tests.skills.conftest import skill_md

UNKNOWN_ID = 2_147_483_000
CASES = ("valid", "none", "malformed", "wrong_kind", "other_user", "revoked", "rotated",
         "expired_session", "no_csrf")

_TOKEN_APIS = ("proxy", "openai", "usage", "cli", "skills_key")
NOT_APPLICABLE = {
    **{(s, "expired_session"): "token-authenticated: a session cookie plays no part" for s in _TOKEN_APIS},
    **{(s, "no_csrf"): "token-authenticated: no cookie, so nothing for CSRF to protect" for s in _TOKEN_APIS},
    ("proxy", "none"): "the proxy token is part of the URL: without one no proxy route matches",
    ("skills_key", "none"): "the capability key is part of the URL: without one no route matches",
    ("usage", "other_user"): "pooled accounts are shared by every user (SPEC §5): nothing per-user in the URL",
    ("usage", "revoked"): "a usage token is rotated, never revoked",
    ("cli", "revoked"): "an account key is rotated, never revoked",
    ("skills_key", "revoked"): "a skills key is rotated, never revoked",
    ("dash_api", "rotated"): "a session has no token to rotate (sign-in starts a new one)",
    ("dash_page", "rotated"): "a session has no token to rotate (sign-in starts a new one)",
    **{("public", case): "public route: no credential is asked for" for case in CASES
       if case not in ("valid", "no_csrf")},
}
NO_OWNED_OBJECT = "no per-user object in the URL"
SAFE_METHOD = "a safe method: CSRF guards only state-changing requests"
ALL_MODELS = "lists the key's own models: there is no object id to try"


@dataclass(frozen=True)
class NotApplicable:
    """A case that does not apply to one route (the per-surface ones are in NOT_APPLICABLE)."""

    reason: str


# -- requests --------------------------------------------------------------------------------

def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def fill(rule, values):
    """A concrete path for a rule from argument values."""
    path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)
    assert "<" not in path, path
    return path


class Call:
    """One route of the matrix, able to make requests with chosen credentials and objects."""

    def __init__(self, app, world, endpoint, method, rule, route):
        self.app, self.world, self.endpoint, self.method, self.rule, self.route = (
            app, world, endpoint, method, rule, route)

    def values(self, person, **override):
        w = self.world
        values = {"token": person.machine.token, "subpath": "v1/messages", "model_id": w.model.name,
                  "account_id": w.second_account_id, "machine_id": person.machine.id, "key_id": person.key.id,
                  "access_key": person.skills_key, "user_id": w.bob.user.id, "skill_id": w.bob.skill.id,
                  "filename": "app.css", "name": person.skill_name}
        if self.endpoint.startswith(("dashboard.admin", "skills.public")):
            values["name"] = w.spare_model_name if "model" in self.endpoint else w.bob.skill_name
        values.update(override)
        return values

    def body(self):
        if self.method not in STATE_CHANGING:
            return {}
        if self.route.surface == "proxy":
            return {"json": {"model": "claude-sonnet-4-5", "max_tokens": 1, "messages": []}}
        if self.endpoint == "openai_api.chat_completions":
            return {"json": {"model": self.world.model.name, "messages": [{"role": "user", "content": "hi"}]}}
        if self.endpoint == "skills.import_skill":
            return {"data": skill_md("imported-skill"), "content_type": "text/markdown"}
        if self.route.surface == "dash_page":
            return {"data": {}}
        if self.endpoint == "dashboard.api.update_machine":
            return {"json": {"passthrough": True}}
        return {"json": {}}

    def request(self, client, values, headers=None, csrf=None):
        kwargs = self.body()
        headers = dict(headers or {})
        if csrf:
            if "data" in kwargs and isinstance(kwargs["data"], dict):
                kwargs["data"] = {**kwargs["data"], "csrf_token": csrf}
            else:
                headers["X-CSRFToken"] = csrf
        return client.open(fill(self.rule, values), method=self.method, headers=headers, **kwargs)

    def anonymous(self, values=None, headers=None, client=None):
        client = client or browser(self.app)
        return self.request(client, values or self.values(self.world.alice), headers)


def wrong_kinds(person, surface):
    """Live credentials of every other kind (the person's own, so only the kind is wrong)."""
    kinds = {"proxy": person.machine.token, "openai": person.key.token, "usage": person.usage_token,
             "cli": person.account_key, "skills_key": person.skills_key}
    return {kind: token for kind, token in kinds.items() if kind != surface}


def aged_cookie(app, value):
    """The same signed session, as if it had been issued just over PERMANENT_SESSION_LIFETIME ago."""
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(value)
    issued = int(time.time() - app.permanent_session_lifetime.total_seconds()) - 60
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda _self: issued)
        return serializer.dumps(data)


# -- the surfaces ----------------------------------------------------------------------------

def check_proxy(call, case):
    alice = call.world.alice
    refused = lambda r: anthropic_error(r, 401)  # noqa: E731
    url = lambda token: call.values(alice, token=token)  # noqa: E731
    if case == "valid":
        return [("live token", not_refused(call.anonymous(url(alice.machine.token))))]
    if case == "malformed":
        return [(t, refused(call.anonymous(url(t)))) for t in ("not-a-proxy-token", "cct_", "cct_short")]
    if case == "wrong_kind":
        return [(k, refused(call.anonymous(url(t)))) for k, t in wrong_kinds(alice, "proxy").items()]
    if case == "other_user":
        bob = call.world.bob.machine.token
        return [("bearer", refused(call.anonymous(url(alice.machine.token), bearer(bob)))),
                ("x-api-key", refused(call.anonymous(url(alice.machine.token), {"x-api-key": bob}))),
                ("bob's url, alice's bearer", refused(call.anonymous(url(bob), bearer(alice.machine.token))))]
    if case == "revoked":
        return [("revoked", refused(call.anonymous(url(alice.revoked_token))))]
    if case == "rotated":
        return [("rotated", refused(call.anonymous(url(alice.old_proxy_token))))]
    raise AssertionError(case)


def _token_api(call, case, surface, live, old, dead, refused):
    """The cases shared by the bearer-token APIs (OpenAI, usage, CLI)."""
    alice = call.world.alice
    mine = call.values(alice)
    if case == "valid":
        return [("live", not_refused(call.anonymous(mine, bearer(live))))]
    if case == "none":
        return [("no header", refused(call.anonymous(mine))),
                ("empty bearer", refused(call.anonymous(mine, {"Authorization": "Bearer "})))]
    if case == "malformed":
        return [(h, refused(call.anonymous(mine, {"Authorization": h})))
                for h in ("Bearer not-a-token", f"Basic {live}", f"Bearer {live}x", live)]
    if case == "wrong_kind":
        checks = [(k, refused(call.anonymous(mine, bearer(t)))) for k, t in wrong_kinds(alice, surface).items()]
        session = browser(call.app, alice.user)
        checks.append(("dashboard session", refused(call.request(session, mine, csrf=session.csrf))))
        return checks
    if case == "rotated":
        return [("old value", refused(call.anonymous(mine, bearer(old))))]
    if case == "revoked":
        return [("revoked", refused(call.anonymous(mine, bearer(dead))))]
    raise AssertionError(case)


def check_openai(call, case):
    alice = call.world.alice
    if case == "other_user":
        if call.endpoint == "openai_api.list_models":
            return NotApplicable(ALL_MODELS)
        # A model bound only to bob's keys answers as a model that does not exist.
        if call.endpoint == "openai_api.get_model":
            theirs = call.anonymous(call.values(alice, model_id="other-model"), bearer(alice.key.token))
            unknown = call.anonymous(call.values(alice, model_id="no-such-model"), bearer(alice.key.token))
        else:
            def chat(model):
                return browser(call.app).post("/v1/chat/completions", headers=bearer(alice.key.token),
                                              json={"model": model, "messages": [{"role": "user", "content": "x"}]})
            theirs, unknown = chat("other-model"), chat("no-such-model")
        return [("bob's model", same_answer(theirs, unknown, ["other-model", "no-such-model"])),
                ("shape", openai_error(unknown, unknown.status_code, unknown.get_json()["error"]["code"]))]
    return _token_api(call, case, "openai", alice.key.token, alice.old_llm_key, alice.deleted_key,
                      lambda r: openai_error(r, 401))


def check_usage(call, case):
    alice = call.world.alice
    return _token_api(call, case, "usage", alice.usage_token, alice.old_usage_token, None,
                      lambda r: json_error(r, 401, "unauthenticated"))


def _other_ids(call, person, surface_check, client=None, headers=None, csrf=None):
    bob = call.world.bob
    arg = call.route.owned
    theirs_value = {"machine_id": bob.machine.id, "key_id": bob.key.id, "name": bob.skill_name}[arg]
    unknown_value = UNKNOWN_ID if arg != "name" else "no-such-skill"
    client = client or browser(call.app)
    theirs = call.request(client, call.values(person, **{arg: theirs_value}), headers, csrf)
    unknown = call.request(client, call.values(person, **{arg: unknown_value}), headers, csrf)
    return [(f"bob's {arg}", same_answer(theirs, unknown, [theirs_value, unknown_value])),
            ("answer", surface_check(unknown))]


def check_cli(call, case):
    alice = call.world.alice
    if case == "other_user":
        if call.route.owned is None:
            return NotApplicable(NO_OWNED_OBJECT)
        return _other_ids(call, alice, lambda r: json_error(r, 404, "not_found"), headers=bearer(alice.account_key))
    return _token_api(call, case, "cli", alice.account_key, alice.old_account_key, None,
                      lambda r: json_error(r, 401, "unauthenticated"))


def check_skills_key(call, case):
    alice = call.world.alice
    unknown_key = call.anonymous(call.values(alice, access_key="skl_not-a-key"))
    refused = lambda r: json_error(r, 404, "not_found") or same_answer(r, unknown_key)  # noqa: E731
    if case == "valid":
        return [("live key", not_refused(call.anonymous()))]
    if case == "malformed":
        return [(k, refused(call.anonymous(call.values(alice, access_key=k)))) for k in ("garbage", "skl_")]
    if case == "wrong_kind":
        checks = [(k, refused(call.anonymous(call.values(alice, access_key=t))))
                  for k, t in wrong_kinds(alice, "skills_key").items()]
        session = browser(call.app, alice.user)
        checks.append(("dashboard session, bad key",
                       refused(call.request(session, call.values(alice, access_key="skl_x"), csrf=session.csrf))))
        return checks
    if case == "other_user":
        if call.route.owned is None:
            return [("bob's key is not alice's", None if call.world.bob.skills_key != alice.skills_key else "same")]
        return _other_ids(call, alice, lambda r: json_error(r, 404, "not_found"))
    if case == "rotated":
        return [("old key", refused(call.anonymous(call.values(alice, access_key=alice.old_skills_key))))]
    raise AssertionError(case)


def _dashboard(call, case, refused, forbidden, not_found, csrf_failed):
    world, alice = call.world, call.world.alice
    person = world.admin if call.route.admin else alice
    mine = call.values(person)
    if case == "valid":
        session = browser(call.app, person.user)
        return [("signed in", not_refused(call.request(session, mine, csrf=session.csrf)))]
    if case == "none":
        anonymous = browser(call.app)
        return [("signed out", refused(call.request(anonymous, mine))),
                ("signed out, with a CSRF token", refused(call.request(anonymous, mine, csrf=anonymous.fetch_csrf())))]
    if case == "malformed":
        client = browser(call.app)
        client.set_cookie("session", "not-a-signed-cookie")
        forged = browser(call.app)
        forged.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.forged.signature")
        return [("garbage cookie", refused(call.request(client, mine))),
                ("forged cookie", refused(call.request(forged, mine)))]
    if case == "wrong_kind":
        return [(k, refused(call.anonymous(mine, bearer(t)))) for k, t in wrong_kinds(person, "dash").items()]
    if case == "other_user":
        if call.route.admin:
            session = browser(call.app, alice.user)
            return [("non-admin", forbidden(call.request(session, mine, csrf=session.csrf)))]
        if call.route.owned is None:
            return NotApplicable(NO_OWNED_OBJECT)
        session = browser(call.app, alice.user)
        return _other_ids(call, alice, not_found, client=session, csrf=session.csrf)
    if case == "revoked":
        session = browser(call.app, person.user)
        copy = browser(call.app)
        copy.set_cookie("session", session.get_cookie("session").value)
        signed_out = session.open("/api/v1/ai/logout", method="POST", headers={"X-CSRFToken": session.csrf})
        assert signed_out.status_code == 200, signed_out.get_data(as_text=True)
        return [("cookie copied before sign-out", refused(call.request(copy, mine, csrf=session.csrf)))]
    if case == "expired_session":
        session = browser(call.app, person.user)
        aged = browser(call.app)
        aged.set_cookie("session", aged_cookie(call.app, session.get_cookie("session").value))
        checks = [("cookie past its lifetime", refused(call.request(aged, mine, csrf=session.csrf)))]
        users.set_password(person.user, "a-brand-new-password")
        checks.append(("password changed since sign-in", refused(call.request(session, mine, csrf=session.csrf))))
        users.set_password(person.user, person.user.password)
        return checks
    if case == "no_csrf":
        if call.method not in STATE_CHANGING:
            return NotApplicable(SAFE_METHOD)
        session = browser(call.app, person.user)
        foreign = browser(call.app).fetch_csrf()
        return [("no token", csrf_failed(call.request(session, mine))),
                ("another session's token", csrf_failed(call.request(session, mine, csrf=foreign)))]
    raise AssertionError(case)


def check_dash_api(call, case):
    return _dashboard(call, case, lambda r: json_error(r, 401, "unauthenticated"),
                      lambda r: json_error(r, 403, "permission_denied"), lambda r: json_error(r, 404, "not_found"),
                      lambda r: json_error(r, 400, "csrf_failed"))


def check_dash_page(call, case):
    return _dashboard(call, case, sign_in_redirect, lambda r: html_error(r, 403, "Only administrators"),
                      lambda r: html_error(r, 404, ""), lambda r: html_error(r, 400, "Reload the page"))


def check_public(call, case):
    if case == "valid":
        client = browser(call.app)
        csrf = client.fetch_csrf() if call.method in STATE_CHANGING else None
        return [("no credential", not_refused(call.request(client, call.values(call.world.alice), csrf=csrf)))]
    if case == "no_csrf":
        if call.method not in STATE_CHANGING:
            return NotApplicable(SAFE_METHOD)
        if call.endpoint == "dashboard.api.login":
            return [("sign-in", json_error(call.anonymous(), 400, "csrf_failed"))]
        return [("sign-in", html_error(call.anonymous(), 400, "Reload the page"))]
    raise AssertionError(case)


SURFACES = {"proxy": check_proxy, "openai": check_openai, "usage": check_usage, "cli": check_cli,
            "skills_key": check_skills_key, "dash_api": check_dash_api, "dash_page": check_dash_page,
            "public": check_public}


_machine_names = itertools.count(1)


def _fresh_credentials(world):
    """New live credentials for alice (and the admin): a control may have rotated or revoked hers."""
    for person in (world.alice, world.admin):
        user = person.user
        person.account_key = rotate_account_key(user)
        person.machine = machines.create_machine(user, f"fresh-{next(_machine_names)}")[0]
        person.machine.token = machines.rotate_machine_token(user, person.machine.id)[1]
        person.key = llm_keys.create_llm_key(user, model_names=[world.model.name])[0]
        person.key.token = llm_keys.rotate_llm_key(user, person.key.id)[1]
        person.usage_token = user_tokens.rotate_usage_token(user)
        person.skills_key = skills.rotate_access_key(user)
        person.skill, _ = skills.import_skill(user, skill_md(person.skill_name))


# -- the tests -------------------------------------------------------------------------------

def test_the_table_names_every_route_of_the_app_and_nothing_else(app):
    present = {table_key(*route) for route in app_routes(app)}
    assert sorted(present - ROUTES.keys(), key=str) == [], "add the new routes to tests/access/routes.py"
    assert sorted(ROUTES.keys() - present, key=str) == []


@pytest.mark.parametrize("case", CASES)
def test_every_route_answers_every_credential_case_exactly(case, app, world, upstream):
    problems, tally = [], Counter()
    for endpoint, method, rule in app_routes(app):
        route = ROUTES[table_key(endpoint, method, rule)]
        reason = NOT_APPLICABLE.get((route.surface, case))
        if reason is None:
            if case == "valid":
                _fresh_credentials(world)
            call = Call(app, world, endpoint, method, rule, route)
            checks = SURFACES[route.surface](call, case)
            assert checks is not None, (endpoint, method, case)  # a case applies, or says why not
            if isinstance(checks, NotApplicable):
                tally["not applicable"] += 1
                continue
            for label, problem in checks:
                tally["checked"] += 1
                if problem:
                    problems.append((endpoint, method, rule.rule, label, problem))
        else:
            tally["not applicable"] += 1
    print(case, dict(tally))
    for problem in problems:
        print(*problem)
    assert problems == []
    assert tally["checked"] >= 10, tally
