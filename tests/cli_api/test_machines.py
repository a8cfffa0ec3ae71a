"""Machines through the CLI API: create (token once), list with usage, get, rotate, revoke; owners only."""
from datetime import timedelta

import pytest

import config as config_module
from app import create_app
from app.extensions import db
from app.models import Machine
from app.models.base import utcnow
from app.services.credentials import machines
from tests.cli_api.conftest import PREFIX, assert_error, bearer
from tests.ledger_rows import add_claude_request
from tests.lookups import machine_of


def fresh(machine_id):
    db.session.rollback()
    return db.session.get(Machine, machine_id)


def machine_count():
    db.session.rollback()
    return db.session.query(Machine).count()


# create -----------------------------------------------------------------------------------

def test_create_returns_the_token_once_and_the_proxy_base_url(as_ada, ada):
    response = as_ada.post("/machines", json={"name": "laptop", "hostname": "ignored.local"})
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert token.startswith("cct_") and len(token) >= 4 + 43
    assert body["base_url"] == f"http://localhost/anthropic/{token}"
    machine = body["machine"]
    assert (machine["name"], machine["passthrough"], machine["status"]) == ("laptop", False, "active")
    assert machine["token_prefix"] == token[:10]
    assert machine_of(token).id == machine["id"] == fresh(machine["id"]).id
    assert fresh(machine["id"]).user_id == ada.id
    # Never again: neither the list nor the machine itself carries the token.
    assert token not in as_ada.get("/machines").get_data(as_text=True)
    assert token not in as_ada.get(f"/machines/{machine['id']}").get_data(as_text=True)


def test_the_name_defaults_to_the_callers_hostname(as_ada):
    body = as_ada.post("/machines", json={"hostname": "ada-mbp.local", "passthrough": True}).get_json()
    assert (body["machine"]["name"], body["machine"]["passthrough"]) == ("ada-mbp.local", True)
    assert fresh(body["machine"]["id"]).passthrough is True


def test_a_long_hostname_is_cut_to_the_longest_name(as_ada):
    body = as_ada.post("/machines", json={"hostname": "h" * 200}).get_json()
    assert body["machine"]["name"] == "h" * machines.MAX_NAME_LENGTH


def test_the_base_url_follows_the_ai_mirror(client, ada):
    response = client.post("/ai" + PREFIX + "/machines", headers=bearer(ada.account_key), json={"name": "m"})
    body = response.get_json()
    assert body["base_url"] == f"http://localhost/ai/anthropic/{body['token']}"


def test_the_base_url_follows_a_trusted_reverse_proxy(app):
    class BehindProxy(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        TRUSTED_PROXY_COUNT = 1

    proxied = create_app(BehindProxy)
    with proxied.app_context():
        from tests.factories import Factories
        user = Factories().user()
        response = proxied.test_client().post(
            PREFIX + "/machines", json={"name": "m"},
            headers={**bearer(user.account_key), "X-Forwarded-Proto": "https", "X-Forwarded-Host": "ai.hep.gg"})
        body = response.get_json()
        assert body["base_url"] == f"https://ai.hep.gg/anthropic/{body['token']}"
        db.session.remove()


@pytest.mark.parametrize("payload,status,field,message", [
    (b'{"name": "laptop"', 400, None, "not valid JSON"),
    (b"\xff\xfe\x00", 400, None, "not valid JSON"),
    (b'["laptop"]', 400, None, "must be a JSON object"),
    (b'"laptop"', 400, None, "must be a JSON object"),
    (b"{}", 400, "name", "Give a name or a hostname"),
    (b'{"name": 42}', 400, "name", "Not a valid string"),
    (b'{"name": ""}', 400, "name", None),
    (b'{"name": "   "}', 400, "name", "Must not be empty"),
    (b'{"name": "' + b"x" * 121 + b'"}', 400, "name", None),
    (b'{"name": "a\\u0007b"}', 400, "name", "control characters"),
    (b'{"hostname": ["h"]}', 400, "hostname", "Not a valid string"),
    (b'{"name": "m", "passthrough": "yes"}', 400, "passthrough", "Must be true or false"),
    (b'{"name": "m", "passthrough": 1}', 400, "passthrough", "Must be true or false"),
    (b'{"name": "m", "admin": true}', 400, "admin", "Unknown field"),
])
def test_create_rejects_bad_bodies_with_field_messages(as_ada, payload, status, field, message):
    response = as_ada.post("/machines", data=payload, content_type="application/json")
    error = assert_error(response, status, "invalid_request")
    if field is not None:
        assert field in error["fields"], error
        assert field in error["message"] or "name" in error["message"]
    if message is not None:
        assert message in error["message"] or message in str(error.get("fields"))
    assert machine_count() == 0


def test_create_rejects_a_huge_body(as_ada):
    response = as_ada.post("/machines", data=b'{"name": "' + b"x" * 100_000 + b'"}',
                           content_type="application/json")
    assert_error(response, 413, "request_too_large")
    assert machine_count() == 0


# list and get -----------------------------------------------------------------------------

def test_list_shows_only_the_callers_machines_newest_first_with_30_day_usage(as_ada, ada, factories):
    old = factories.machine(ada, "old")
    factories.machine(ada, "new")
    revoked = factories.machine(ada, "revoked")
    machines.revoke_machine(ada, revoked.id)
    theirs = factories.machine(factories.user(), "theirs")
    now = utcnow()
    add_claude_request(old, started_at=now - timedelta(days=2), input_tokens=100, output_tokens=50,
                       cache_creation=10, cache_read=1000, cost_micro_usd=2_345_678)
    add_claude_request(old, started_at=now - timedelta(minutes=5), input_tokens=1, cost_micro_usd=2)
    add_claude_request(old, started_at=now - timedelta(days=31), input_tokens=10_000)
    add_claude_request(revoked, started_at=now - timedelta(days=1), output_tokens=7)
    add_claude_request(theirs, input_tokens=5)

    body = as_ada.get("/machines").get_json()

    assert [m["name"] for m in body["machines"]] == ["revoked", "new", "old"]
    by_name = {m["name"]: m for m in body["machines"]}
    assert by_name["old"]["usage"] == {
        "requests": 2, "input_tokens": 101, "output_tokens": 50, "cache_creation_input_tokens": 10,
        "cache_creation_5m_tokens": 0, "cache_creation_1h_tokens": 0, "cache_read_input_tokens": 1000,
        "total_tokens": 1161, "cost_micro_usd": 2_345_680,
        "cost_usd": "2.34568", "last_request_at": by_name["old"]["last_seen_at"]}
    assert by_name["old"]["last_seen_at"] is not None
    assert by_name["new"]["usage"]["requests"] == 0 and by_name["new"]["last_seen_at"] is None
    assert by_name["revoked"]["status"] == "revoked" and by_name["revoked"]["revoked_at"]
    assert by_name["revoked"]["usage"]["output_tokens"] == 7
    assert body["usage_window"]["days"] == 30
    assert "theirs" not in str(body)


def test_get_one_machine_and_404_for_anything_not_the_callers(as_ada, ada, factories):
    mine = factories.machine(ada, "mine")
    theirs = factories.machine(factories.user(), "theirs")
    assert as_ada.get(f"/machines/{mine.id}").get_json()["machine"]["name"] == "mine"
    for ident in (theirs.id, 999_999, 2_147_483_647):
        assert_error(as_ada.get(f"/machines/{ident}"), 404, "not_found", f"no machine with id {ident}")
    for ident in ("99999999999999999999999", "abc", "-1", "1.5"):
        assert_error(as_ada.get(f"/machines/{ident}"), 404, "not_found")


# rotate -----------------------------------------------------------------------------------

def test_rotate_issues_a_new_token_once_and_kills_the_old_one(as_ada, ada, factories):
    machine = factories.machine(ada, "laptop")
    body = as_ada.post(f"/machines/{machine.id}/rotate").get_json()
    assert body["token"].startswith("cct_") and body["token"] != machine.token
    assert body["base_url"] == f"http://localhost/anthropic/{body['token']}"
    assert body["machine"]["token_rotated_at"] is not None
    db.session.rollback()
    assert machine_of(machine.token) is None
    assert machine_of(body["token"]).id == machine.id


def test_rotating_someone_elses_unknown_or_revoked_machine_fails(as_ada, ada, factories):
    theirs = factories.machine(factories.user())
    assert_error(as_ada.post(f"/machines/{theirs.id}/rotate"), 404, "not_found", f"no machine with id {theirs.id}")
    assert machine_of(theirs.token).id == theirs.id
    assert_error(as_ada.post("/machines/424242/rotate"), 404, "not_found")
    mine = factories.machine(ada)
    machines.revoke_machine(ada, mine.id)
    assert_error(as_ada.post(f"/machines/{mine.id}/rotate"), 409, "conflict", "revoked")


# revoke -----------------------------------------------------------------------------------

def test_revoke_kills_the_token_and_keeps_the_machine(as_ada, ada, factories):
    machine = factories.machine(ada, "laptop")
    add_claude_request(machine, input_tokens=3)
    body = as_ada.post(f"/machines/{machine.id}/revoke").get_json()
    assert body["machine"]["status"] == "revoked" and body["machine"]["revoked_at"]
    db.session.rollback()
    assert machine_of(machine.token) is None
    assert as_ada.post(f"/machines/{machine.id}/revoke").status_code == 200  # twice is harmless
    listed = as_ada.get("/machines").get_json()["machines"]
    assert listed[0]["usage"]["input_tokens"] == 3


def test_revoking_someone_elses_machine_is_404_and_changes_nothing(as_ada, factories):
    theirs = factories.machine(factories.user())
    assert_error(as_ada.post(f"/machines/{theirs.id}/revoke"), 404, "not_found")
    assert fresh(theirs.id).revoked_at is None
    assert machine_of(theirs.token).id == theirs.id
