"""The skills JSON API: /api/v1/ai/skills (access key, own skills) and /api/v1/ai/admin/skills (publishing)."""
import pytest

import config as config_module
from app import create_app
from app.extensions import db
from app.models import Skill
from app.services.skills import registry as skills
from app.services.timestamps import iso
from tests.dashboard.helpers import DashboardClient
from tests.skills.conftest import skill_md

NO_KEY = {"exists": False, "prefix": None, "created_at": None, "rotated_at": None}


def import_as(client, url, document):
    """POST a SKILL.md to a capability URL (absolute, as the dashboard returns it) the way agents do."""
    return client.post(url + "import", data=document, content_type="text/markdown")


def names(rows):
    return [(row.name, row.is_public) for row in rows]


def all_skills():
    db.session.rollback()
    return Skill.query.order_by(Skill.name, Skill.user_id).all()


# --- the user's access key and skills ----------------------------------------------------


def test_the_list_shows_key_status_and_own_skills_but_never_the_key(make_client, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    client = make_client(ada)
    assert client.get("/api/v1/ai/skills").json == {"access_key": NO_KEY, "skills": []}

    key = skills.get_or_create_access_key(ada)
    skills.import_skill(ada, skill_md("pdf-tools", "Fill PDF forms."))
    skills.import_skill(ada, skill_md("agenda", "Plan meetings.", body="# Agenda\n"))
    skills.import_skill(bob, skill_md("bob-only"))
    skills.publish_skill("pdf-tools")

    response = client.get("/api/v1/ai/skills")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json
    row = skills.get_access_key(ada)
    assert body["access_key"] == {"exists": True, "prefix": row.key_prefix,
                                  "created_at": iso(row.created_at), "rotated_at": None}
    assert key.startswith(body["access_key"]["prefix"]) and len(body["access_key"]["prefix"]) < len(key)
    agenda, pdf = body["skills"]
    assert agenda["name"] == "agenda" and agenda["description"] == "Plan meetings."
    assert agenda["size"] == len(skill_md("agenda", "Plan meetings.", body="# Agenda\n"))
    assert agenda["public"] is False and "public_url" not in agenda and agenda["published_at"] is None
    assert agenda["etag"].startswith('"') and agenda["updated_at"].endswith("Z")
    assert pdf["public"] is True and pdf["public_url"] == "http://localhost/skills/pdf-tools"
    assert pdf["published_at"].endswith("Z")
    # The key (and so any private URL) is never in a list.
    assert key not in response.get_data(as_text=True) and "/me/" not in response.get_data(as_text=True)
    assert client.get("/api/v1/ai/skills/access-key").json == body["access_key"]


def test_reveal_is_404_until_rotate_mints_the_first_key(make_client, factories):
    user = factories.user()
    client = make_client(user)
    assert client.get("/api/v1/ai/skills/access-key").json == NO_KEY
    missing = client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "reveal"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert skills.get_access_key(user) is None

    minted = client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "rotate"})
    assert minted.status_code == 200
    key = minted.json["access_key"]
    assert key.startswith("skl_") and minted.json["url"] == f"http://localhost/me/{key}/"
    assert minted.json["exists"] is True and key.startswith(minted.json["prefix"])
    assert minted.json["rotated_at"] is None  # the first key is minted, not rotated
    assert skills.user_for_access_key(key).id == user.id


def test_reveal_gives_the_key_the_registry_accepts(make_client, factories):
    user = factories.user()
    existing = skills.get_or_create_access_key(user)
    client = make_client(user)
    revealed = client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "reveal"})
    assert revealed.status_code == 200 and revealed.headers["Cache-Control"] == "no-store"
    assert revealed.json["access_key"] == existing
    url = revealed.json["url"]
    assert url == f"http://localhost/me/{existing}/"

    saved = import_as(client, url, skill_md("hello", "Says hello."))
    assert saved.status_code == 201 and saved.headers["Location"] == url + "hello"
    assert client.get(url + "hello").data == skill_md("hello", "Says hello.")
    assert [s["name"] for s in client.get("/api/v1/ai/skills").json["skills"]] == ["hello"]


def test_rotation_kills_the_old_capability_url_at_once(make_client, factories):
    user = factories.user()
    old = skills.get_or_create_access_key(user)
    skills.import_skill(user, skill_md("pdf-tools"))
    client = make_client(user)
    assert client.get(f"/me/{old}/").status_code == 200

    rotated = client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "rotate"})
    assert rotated.status_code == 200
    new = rotated.json["access_key"]
    assert new != old and rotated.json["url"] == f"http://localhost/me/{new}/"
    assert rotated.json["rotated_at"] is not None and new.startswith(rotated.json["prefix"])
    for path in (f"/me/{old}/", f"/me/{old}/pdf-tools"):
        gone = client.get(path)
        assert gone.status_code == 404 and old not in gone.get_data(as_text=True)
    assert import_as(client, f"http://localhost/me/{old}/", skill_md("sneaky")).status_code == 404
    # The skills are kept and answer on the new URL; reveal now shows the new key.
    assert client.get(f"/me/{new}/pdf-tools").data == skill_md("pdf-tools")
    assert client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "reveal"}).json["access_key"] == new
    assert [name for name, _ in names(all_skills())] == ["pdf-tools"]


def test_access_key_actions_are_validated(make_client, factories):
    user = factories.user()
    client = make_client(user)
    for body, fields in (({}, {"action": ["Missing data for required field."]}),
                         ({"action": "delete"}, {"action": ["Must be one of: reveal, rotate."]}),
                         ({"action": 1}, {"action": ["Not a valid string."]}),
                         ({"action": "rotate", "extra": 1}, {"extra": ["Unknown field."]})):
        response = client.call("POST", "/api/v1/ai/skills/access-key", json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "invalid_request" and response.json["error"]["fields"] == fields
    for raw in (b"action=rotate", b"[\"rotate\"]", b"{not json"):
        response = client.call("POST", "/api/v1/ai/skills/access-key", data=raw, content_type="application/json")
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_request", raw
    assert skills.get_access_key(user) is None  # nothing was minted


def test_one_users_key_is_never_anothers(make_client, factories):
    ada, bob = factories.user(), factories.user()
    ada_key = skills.get_or_create_access_key(ada)
    bob_client = make_client(bob)
    assert bob_client.get("/api/v1/ai/skills/access-key").json == NO_KEY
    refused = bob_client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "reveal"})
    assert refused.status_code == 404 and ada_key not in refused.get_data(as_text=True)
    bob_key = bob_client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "rotate"}).json["access_key"]
    assert bob_key != ada_key and skills.user_for_access_key(ada_key).id == ada.id


def test_deleting_a_skill_removes_it_and_its_public_page(make_client, factories):
    user = factories.user()
    key = skills.get_or_create_access_key(user)
    skills.import_skill(user, skill_md("pdf-tools"))
    skills.import_skill(user, skill_md("access-key", "Named like the key route."))
    skills.import_skill(user, skill_md("keep-me"))
    skills.publish_skill("pdf-tools")
    client = make_client(user)
    assert client.get("/skills/pdf-tools").status_code == 200

    response = client.call("DELETE", "/api/v1/ai/skills/pdf-tools")
    assert response.status_code == 200 and response.json == {"name": "pdf-tools", "deleted": True}
    assert client.get("/skills/pdf-tools").status_code == 404
    assert client.get(f"/me/{key}/pdf-tools").status_code == 404
    # A skill may be called "access-key": DELETE reaches it, GET/POST stay the key's routes.
    assert client.call("DELETE", "/api/v1/ai/skills/access-key").json == {"name": "access-key", "deleted": True}
    assert names(all_skills()) == [("keep-me", False)]

    again = client.call("DELETE", "/api/v1/ai/skills/pdf-tools")
    assert again.status_code == 404 and again.json["error"]["code"] == "not_found"
    for bad in ("Bad_Name", "-x", "a" * 65, "..", "%2e%2e"):
        assert client.call("DELETE", f"/api/v1/ai/skills/{bad}").status_code == 404, bad
    assert names(all_skills()) == [("keep-me", False)]


def test_another_users_skill_is_404_and_stays(make_client, factories):
    ada, bob = factories.user(), factories.user()
    skills.import_skill(ada, skill_md("ada-only"))
    skills.import_skill(bob, skill_md("shared", body="bob\n"))
    skills.import_skill(ada, skill_md("shared", body="ada\n"))
    client = make_client(bob)
    response = client.call("DELETE", "/api/v1/ai/skills/ada-only")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    # Deleting "shared" deletes Bob's own, never Ada's of the same name.
    assert client.call("DELETE", "/api/v1/ai/skills/shared").status_code == 200
    db.session.rollback()
    assert [(s.owner.email, s.name) for s in Skill.query.order_by(Skill.name).all()] == [
        (ada.email, "ada-only"), (ada.email, "shared")]


@pytest.fixture(scope="module")
def skills_host_app(app):
    class SkillsHostConfig(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SKILLS_HOST = "skills.example.test"

    host_app = create_app(SkillsHostConfig)
    yield host_app
    with host_app.app_context():
        db.engine.dispose()


def test_with_a_skills_host_the_revealed_url_is_on_it(skills_host_app, factories):
    user = factories.user()
    key = skills.get_or_create_access_key(user)
    skills.import_skill(user, skill_md("pdf-tools"))
    skills.publish_skill("pdf-tools")
    client = DashboardClient(skills_host_app, skills_host_app.response_class, use_cookies=True).login(user)
    revealed = client.call("POST", "/api/v1/ai/skills/access-key", json={"action": "reveal"})
    assert revealed.json["url"] == f"http://skills.example.test/me/{key}/"
    listed = client.get("/api/v1/ai/skills").json["skills"]
    assert listed[0]["public_url"] == "http://skills.example.test/pdf-tools"


# --- admins: every skill, publish and unpublish ------------------------------------------


@pytest.fixture
def admin_client(make_client, factories):
    return make_client(factories.user("root@example.com", admin=True))


def test_admins_list_every_skill_with_its_owner(admin_client, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    skills.import_skill(ada, skill_md("pdf-tools", "Ada's PDFs."))
    skills.import_skill(bob, skill_md("pdf-tools", "Bob's PDFs."))
    skills.import_skill(bob, skill_md("agenda", "Plan meetings."))
    skills.get_or_create_access_key(ada)
    skills.publish_skill("pdf-tools", "bob@example.com")
    response = admin_client.get("/api/v1/ai/admin/skills")
    assert response.status_code == 200
    rows = [(s["name"], s["owner"]["email"], s["description"], s["public"]) for s in response.json["skills"]]
    assert rows == [("agenda", "bob@example.com", "Plan meetings.", False),
                    ("pdf-tools", "ada@example.com", "Ada's PDFs.", False),
                    ("pdf-tools", "bob@example.com", "Bob's PDFs.", True)]
    assert response.json["skills"][2]["public_url"] == "http://localhost/skills/pdf-tools"
    assert response.json["skills"][0]["owner"]["id"] == bob.id
    assert "skl_" not in response.get_data(as_text=True) and "/me/" not in response.get_data(as_text=True)


def test_publish_serves_the_skill_and_unpublish_removes_it(admin_client, factories):
    ada = factories.user("ada@example.com")
    skill, _ = skills.import_skill(ada, skill_md("pdf-tools"))
    assert admin_client.get("/skills/pdf-tools").status_code == 404

    published = admin_client.call("POST", f"/api/v1/ai/admin/skills/{skill.id}/publish")
    assert published.status_code == 200
    assert published.json["changed"] is True and published.json["public"] is True
    assert published.json["owner"]["email"] == "ada@example.com"
    assert published.json["public_url"] == "http://localhost/skills/pdf-tools"
    served = admin_client.get("/skills/pdf-tools")
    assert served.status_code == 200 and served.data == skill_md("pdf-tools")
    assert served.headers["Content-Type"] == "text/markdown; charset=utf-8"
    listing = admin_client.get("/skills/", headers={"Accept": "application/json"}).json["skills"]
    assert [entry["name"] for entry in listing] == ["pdf-tools"]
    again = admin_client.call("POST", f"/api/v1/ai/admin/skills/{skill.id}/publish")
    assert again.status_code == 200 and again.json["changed"] is False

    unpublished = admin_client.call("POST", f"/api/v1/ai/admin/skills/{skill.id}/unpublish")
    assert unpublished.status_code == 200
    assert unpublished.json["changed"] is True and unpublished.json["public"] is False
    assert "public_url" not in unpublished.json
    assert admin_client.get("/skills/pdf-tools").status_code == 404
    assert admin_client.get("/skills/", headers={"Accept": "application/json"}).json["skills"] == []
    assert names(all_skills()) == [("pdf-tools", False)]  # the owner keeps it
    still = admin_client.call("POST", f"/api/v1/ai/admin/skills/{skill.id}/unpublish")
    assert still.status_code == 200 and still.json["changed"] is False


def test_a_public_name_held_by_another_users_skill_is_a_clear_409(admin_client, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    adas, _ = skills.import_skill(ada, skill_md("pdf-tools", body="ada\n"))
    bobs, _ = skills.import_skill(bob, skill_md("pdf-tools", body="bob\n"))
    assert admin_client.call("POST", f"/api/v1/ai/admin/skills/{adas.id}/publish").status_code == 200

    refused = admin_client.call("POST", f"/api/v1/ai/admin/skills/{bobs.id}/publish")
    assert refused.status_code == 409
    assert refused.json["error"] == {
        "code": "conflict", "message": "the public skill 'pdf-tools' is ada@example.com's; unpublish it first"}
    assert admin_client.get("/skills/pdf-tools").data == skill_md("pdf-tools", body="ada\n")

    # Unpublishing Bob's (private) one changes nothing; unpublishing Ada's frees the name.
    assert admin_client.call("POST", f"/api/v1/ai/admin/skills/{bobs.id}/unpublish").json["changed"] is False
    assert admin_client.get("/skills/pdf-tools").data == skill_md("pdf-tools", body="ada\n")
    assert admin_client.call("POST", f"/api/v1/ai/admin/skills/{adas.id}/unpublish").json["changed"] is True
    assert admin_client.call("POST", f"/api/v1/ai/admin/skills/{bobs.id}/publish").json["changed"] is True
    assert admin_client.get("/skills/pdf-tools").data == skill_md("pdf-tools", body="bob\n")


def test_unknown_skill_ids_are_404(admin_client, factories):
    skill, _ = skills.import_skill(factories.user(), skill_md())
    for path in (f"/api/v1/ai/admin/skills/{skill.id + 1}/publish", f"/api/v1/ai/admin/skills/{skill.id + 1}/unpublish",
                 "/api/v1/ai/admin/skills/99999999999999999999/publish", "/api/v1/ai/admin/skills/abc/publish",
                 "/api/v1/ai/admin/skills/-1/publish"):
        response = admin_client.call("POST", path)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", path
    assert names(all_skills()) == [("pdf-tools", False)]


def test_non_admins_cannot_list_or_publish(make_client, factories):
    owner = factories.user()
    skill, _ = skills.import_skill(owner, skill_md())
    client = make_client(owner)
    assert client.get("/api/v1/ai/admin/skills").status_code == 403
    refused = client.call("POST", f"/api/v1/ai/admin/skills/{skill.id}/publish")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    assert names(all_skills()) == [("pdf-tools", False)]
    assert client.get("/skills/pdf-tools").status_code == 404
