"""Capability URLs: a key reaches its holder's skills only; unknown keys say nothing; rotation kills URLs."""
import json
import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SkillAccessKey
from app.services.credentials import crypto
from app.services.skills import registry as skills_service
from app.services.credentials.secrets import digest_secret
from tests.skills.conftest import Owner, skill_md


def test_the_access_key_is_minted_once_and_kept_encrypted_and_by_digest(owner):
    assert owner.key.startswith("skl_") and len(owner.key) >= 4 + 43
    assert skills_service.get_or_create_access_key(owner.user) == owner.key
    db.session.rollback()
    row = db.session.scalar(select(SkillAccessKey).where(SkillAccessKey.user_id == owner.user.id))
    assert row.key_digest == digest_secret(owner.key)
    assert owner.key not in row.key_encrypted and crypto.decrypt(row.key_encrypted) == owner.key
    assert owner.key.startswith(row.key_prefix) and len(row.key_prefix) < len(owner.key)
    assert skills_service.get_access_key(owner.user).id == row.id
    assert skills_service.user_for_access_key(owner.key).id == owner.user.id


def test_one_key_never_reaches_another_users_skills(client, make_owner):
    ada, bob = make_owner(), make_owner()
    assert ada.import_(client, skill_md("shared-name", "Ada's.", body="ada\n")).status_code == 201
    assert bob.import_(client, skill_md("shared-name", "Bob's.", body="bob\n")).status_code == 201
    assert ada.import_(client, skill_md("ada-only")).status_code == 201

    assert client.get(ada.path("shared-name")).data == skill_md("shared-name", "Ada's.", body="ada\n")
    assert client.get(bob.path("shared-name")).data == skill_md("shared-name", "Bob's.", body="bob\n")
    assert client.get(bob.path("ada-only")).status_code == 404
    assert client.delete(bob.path("ada-only")).status_code == 404
    assert client.get(ada.path("ada-only")).status_code == 200
    bob_list = client.get(bob.path(), headers={"Accept": "application/json"}).get_json()["skills"]
    assert [entry["name"] for entry in bob_list] == ["shared-name"]
    assert ada.key not in client.get(bob.path()).data.decode()
    # Bob re-importing his version never touches Ada's.
    assert bob.import_(client, skill_md("shared-name", "Bob's v2.")).status_code == 200
    assert client.get(ada.path("shared-name")).data == skill_md("shared-name", "Ada's.", body="ada\n")


@pytest.mark.parametrize("key", [
    "skl_" + "A" * 43,          # well-formed, never issued
    "skl_",                     # the bare prefix
    "usg_" + "A" * 43,          # another kind of token
    "not-a-key",
])
def test_unknown_keys_get_the_same_404_as_any_unknown_url(client, owner, key):
    owner.import_(client, skill_md())
    unmatched = client.get("/no/such/path")
    for method, path in [("GET", f"/me/{key}/"), ("GET", f"/me/{key}/pdf-tools"),
                         ("DELETE", f"/me/{key}/pdf-tools"), ("POST", f"/me/{key}/import")]:
        response = client.open(path, method=method, data=skill_md(), content_type="text/markdown")
        assert response.status_code == 404, (method, path)
        assert response.get_json() == unmatched.get_json()
    assert client.get(owner.path("pdf-tools")).status_code == 200


def test_another_users_token_of_another_kind_is_not_a_skills_key(client, owner, factories):
    usage_token = factories.usage_token(owner.user)
    assert client.get(f"/me/{usage_token}/").status_code == 404
    assert client.get(f"/me/{owner.user.account_key}/").status_code == 404


def test_rotation_invalidates_the_old_url_at_once_and_keeps_the_skills(client, owner):
    owner.import_(client, skill_md())
    old_key = owner.key
    new_key = skills_service.rotate_access_key(owner.user)
    assert new_key != old_key and new_key.startswith("skl_")
    for path in [f"/me/{old_key}/", f"/me/{old_key}/pdf-tools"]:
        assert client.get(path).status_code == 404
    assert client.post(f"/me/{old_key}/import", data=skill_md("other")).status_code == 404
    assert client.get(f"/me/{new_key}/pdf-tools").data == skill_md()
    assert skills_service.get_or_create_access_key(owner.user) == new_key
    assert skills_service.user_for_access_key(old_key) is None


def test_rotation_before_any_key_mints_one(factories):
    user = factories.user()
    key = skills_service.rotate_access_key(user)
    assert skills_service.get_or_create_access_key(user) == key


@pytest.fixture
def captured_logs(app):
    from app.log import JsonFormatter

    class Capture(logging.Handler):
        lines = []

        def emit(self, record):
            self.lines.append(self.format(record))

    handler = Capture()
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("hepgg"), app.logger]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.lines
    for logger in loggers:
        logger.removeHandler(handler)


def test_access_keys_never_reach_the_log(client, host_client, factories, captured_logs):
    owner = Owner(factories.user())
    responses = [
        owner.import_(client, skill_md()),
        owner.import_(client, b"bad"),
        client.get(owner.path("pdf-tools")),
        client.get(f"/ai{owner.path()}"),
        client.get(f"/me/{owner.key}"),     # redirected to the slash form
        client.delete(owner.path("nothing")),
        host_client.get(owner.path("pdf-tools"), base_url="http://skills.example.test"),
    ]
    assert [r.status_code for r in responses] == [201, 400, 200, 200, 308, 404, 200]
    for response in responses:
        response.close()
    logged = "\n".join(captured_logs)
    assert len([line for line in captured_logs if "\"request_id\"" in line]) == len(responses)
    assert owner.key not in logged
    assert owner.key[4:] not in logged
    paths = [json.loads(line)["path"] for line in captured_logs if '"request_id"' in line]
    assert "/me/[redacted]/pdf-tools" in paths
