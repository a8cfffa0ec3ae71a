"""Fetching skills: raw bytes as imported, ETag/304, listings in markdown and JSON, deletion."""
import pytest

from app.services.skills import registry as skills_service
from tests.skills.conftest import skill_md

MARKDOWN = "text/markdown; charset=utf-8"

AWKWARD = ("\ufeff---\r\nname: awkward\r\ndescription: \"Ça marche — 日本語 ✓\"\r\n---\r\n"
           "# Überschrift\r\n\r\nmixed\nline\rendings\ttabs, trailing space \r\n\x00nul and emoji 🎉").encode("utf-8")


def publish(owner, document):
    skill, _ = skills_service.import_skill(owner.user, document)
    skills_service.publish_skill(skill.name, owner.user.email)
    return skill


def test_a_private_skill_comes_back_byte_for_byte(client, owner):
    assert owner.import_(client, AWKWARD).status_code == 201
    response = client.get(owner.path("awkward"))
    assert response.status_code == 200
    assert response.data == AWKWARD
    assert response.headers["Content-Type"] == MARKDOWN
    assert response.headers["Content-Length"] == str(len(AWKWARD))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in response.headers["Cache-Control"]


def test_a_public_skill_comes_back_byte_for_byte(client, owner):
    publish(owner, AWKWARD)
    response = client.get("/skills/awkward")
    assert response.status_code == 200
    assert response.data == AWKWARD
    assert response.headers["Content-Type"] == MARKDOWN
    assert "public" in response.headers["Cache-Control"]
    assert client.get("/ai/skills/awkward").data == AWKWARD


@pytest.mark.parametrize("path", ["/skills/pdf-tools", "me:pdf-tools"])
def test_etag_is_strong_and_if_none_match_gives_304(client, owner, path):
    publish(owner, skill_md())
    url = owner.path("pdf-tools") if path.startswith("me:") else path
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": f'"x", {etag}'}).status_code == 304

    skills_service.import_skill(owner.user, skill_md(body="changed\n"))
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.data == skill_md(body="changed\n")
    assert changed.headers["ETag"] != etag


def test_head_gives_the_headers_without_the_body(client, owner):
    owner.import_(client, skill_md())
    response = client.head(owner.path("pdf-tools"))
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == str(len(skill_md()))


def test_unknown_and_invalid_names_are_404(client, owner):
    owner.import_(client, skill_md())
    for path in ["/skills/pdf-tools",            # private, so not public
                 "/skills/nothing", "/skills/..%2Fx", "/skills/Pdf-Tools",
                 owner.path("nothing"), owner.path("..%2Fpdf-tools"), owner.path("PDF-TOOLS")]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_public_listing_is_markdown_by_default(client, make_owner):
    ada, bob = make_owner(), make_owner()
    publish(ada, skill_md("zeta", "|\n  Last\n  by name."))
    publish(bob, skill_md("alpha", "First by name."))
    skills_service.import_skill(bob.user, skill_md("hidden", "Private."))

    for accept in (None, "*/*", "text/markdown", "text/html"):
        response = client.get("/skills/", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == MARKDOWN
        assert response.data.decode() == (
            "# Public skills\n\n"
            "- [alpha](http://localhost/skills/alpha): First by name.\n"
            "- [zeta](http://localhost/skills/zeta): Last by name.\n")
        assert "Accept" in response.headers["Vary"]


def test_public_listing_is_json_when_asked(client, owner):
    skill = publish(owner, skill_md("alpha", "First."))
    response = client.get("/ai/skills/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"skills": [{
        "name": "alpha", "description": "First.", "url": "http://localhost/ai/skills/alpha",
        "size": len(skill_md("alpha", "First.")), "etag": f'"{skill.content_sha256}"',
        "updated_at": skill.updated_at.replace(microsecond=0).isoformat() + "Z"}]}
    assert client.get("/skills/alpha").headers["ETag"] == f'"{skill.content_sha256}"'


def test_an_empty_public_listing(client):
    assert client.get("/skills/").data.decode() == "# Public skills\n\nNo public skills yet.\n"
    assert client.get("/skills/", headers={"Accept": "application/json"}).get_json() == {"skills": []}


def test_listings_carry_an_etag_per_format(client, owner):
    publish(owner, skill_md())
    markdown = client.get("/skills/")
    as_json = client.get("/skills/", headers={"Accept": "application/json"})
    assert markdown.headers["ETag"] != as_json.headers["ETag"]
    assert client.get("/skills/", headers={"If-None-Match": markdown.headers["ETag"]}).status_code == 304
    publish(owner, skill_md("second"))
    assert client.get("/skills/", headers={"If-None-Match": markdown.headers["ETag"]}).status_code == 200


def test_private_listing_in_both_formats_flags_public_skills(client, owner):
    owner.import_(client, skill_md("mine", "Just mine."))
    publish(owner, skill_md("shared", "Everyone's."))
    markdown = client.get(owner.path())
    assert markdown.headers["Content-Type"] == MARKDOWN
    assert markdown.data.decode() == (
        "# Your skills\n\n"
        f"- [mine](http://localhost/me/{owner.key}/mine): Just mine.\n"
        f"- [shared](http://localhost/me/{owner.key}/shared) (public): Everyone's.\n")
    entries = client.get(owner.path(), headers={"Accept": "application/json"}).get_json()["skills"]
    assert [(e["name"], e["public"], e["url"]) for e in entries] == [
        ("mine", False, f"http://localhost/me/{owner.key}/mine"),
        ("shared", True, f"http://localhost/me/{owner.key}/shared")]


def test_an_empty_private_listing(client, owner):
    assert client.get(owner.path()).data.decode() == "# Your skills\n\nNo skills yet.\n"


def test_a_user_may_delete_their_skill_and_its_public_page_goes_with_it(client, owner):
    publish(owner, skill_md())
    assert client.get("/skills/pdf-tools").status_code == 200
    response = client.delete(owner.path("pdf-tools"))
    assert response.status_code == 204
    assert client.get(owner.path("pdf-tools")).status_code == 404
    assert client.get("/skills/pdf-tools").status_code == 404
    assert client.delete(owner.path("pdf-tools")).status_code == 404


def test_replacing_a_public_skill_keeps_it_public_with_the_new_bytes(client, owner):
    publish(owner, skill_md())
    response = owner.import_(client, skill_md(body="v2\n"))
    assert response.status_code == 200
    assert response.get_json()["public"] is True
    assert response.get_json()["public_url"] == "http://localhost/skills/pdf-tools"
    assert client.get("/skills/pdf-tools").data == skill_md(body="v2\n")
