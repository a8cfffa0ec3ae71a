"""`flask skills ...`: publish, unpublish, list, import, delete and access-key, with clear failures."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Skill
from app.services.skills import registry as skills_service
from tests.skills.conftest import skill_md


def run(cli_runner, *args, input=None):
    return cli_runner.invoke(args=["skills", *args], input=input)


def last_line(result):
    return result.output.strip().splitlines()[-1]


def fails(result, message):
    assert result.exit_code != 0, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def is_public(user, name):
    db.session.rollback()
    return db.session.scalar(select(Skill.is_public).where(Skill.user_id == user.id, Skill.name == name))


def test_publish_makes_the_only_skill_of_that_name_public(cli_runner, client, factories):
    user = factories.user("ada@example.com")
    skills_service.import_skill(user, skill_md())
    assert client.get("/skills/pdf-tools").status_code == 404

    result = run(cli_runner, "publish", "pdf-tools")
    assert result.exit_code == 0, result.output
    assert "published pdf-tools of ada@example.com" in result.output
    assert last_line(result) == "pdf-tools"
    assert client.get("/skills/pdf-tools").data == skill_md()

    again = run(cli_runner, "publish", "pdf-tools")
    assert again.exit_code == 0 and "already public" in again.output


def test_publish_needs_owner_when_several_users_have_the_name(cli_runner, client, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    skills_service.import_skill(ada, skill_md(body="ada\n"))
    skills_service.import_skill(bob, skill_md(body="bob\n"))

    fails(run(cli_runner, "publish", "pdf-tools"),
          "2 users have a skill named 'pdf-tools' (ada@example.com, bob@example.com); say whose with --owner EMAIL")
    assert not is_public(ada, "pdf-tools") and not is_public(bob, "pdf-tools")

    result = run(cli_runner, "publish", "pdf-tools", "--owner", "Bob@Example.com")
    assert result.exit_code == 0, result.output
    assert client.get("/skills/pdf-tools").data == skill_md(body="bob\n")

    # Public names are unique: Ada's cannot be published while Bob's is.
    fails(run(cli_runner, "publish", "pdf-tools", "--owner", "ada@example.com"),
          "the public skill 'pdf-tools' is bob@example.com's; unpublish it first")
    assert client.get("/skills/pdf-tools").data == skill_md(body="bob\n")

    assert run(cli_runner, "unpublish", "pdf-tools").exit_code == 0
    assert run(cli_runner, "publish", "pdf-tools", "--owner", "ada@example.com").exit_code == 0
    assert client.get("/skills/pdf-tools").data == skill_md(body="ada\n")


@pytest.mark.parametrize("args,message", [
    (["publish", "nothing"], "no user has a skill named 'nothing'"),
    (["publish", "pdf-tools", "--owner", "nobody@example.com"], "no user with email nobody@example.com"),
    (["publish", "other", "--owner", "ada@example.com"], "ada@example.com has no skill named 'other'"),
    (["publish", "../x"], "no user has a skill named '../x'"),
    (["publish"], "Missing argument 'NAME'"),
    (["unpublish", "pdf-tools"], "there is no public skill named 'pdf-tools'"),
    (["unpublish", "nothing"], "there is no public skill named 'nothing'"),
    (["unpublish"], "Missing argument 'NAME'"),
])
def test_publish_and_unpublish_refuse_bad_input_clearly(cli_runner, factories, args, message):
    user = factories.user("ada@example.com")
    skills_service.import_skill(user, skill_md())
    fails(run(cli_runner, *args), message)
    assert not is_public(user, "pdf-tools")


def test_unpublish_hides_it_from_the_public_and_the_owner_keeps_it(cli_runner, client, factories):
    user = factories.user("ada@example.com")
    skills_service.import_skill(user, skill_md())
    skills_service.publish_skill("pdf-tools")
    result = run(cli_runner, "unpublish", "pdf-tools")
    assert result.exit_code == 0, result.output
    assert "unpublished pdf-tools of ada@example.com" in result.output
    assert last_line(result) == "pdf-tools"
    assert client.get("/skills/pdf-tools").status_code == 404
    key = skills_service.get_or_create_access_key(user)
    assert client.get(f"/me/{key}/pdf-tools").data == skill_md()


def test_list_shows_every_skill_with_owner_and_visibility(cli_runner, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    skills_service.import_skill(ada, skill_md("alpha"))
    skills_service.import_skill(bob, skill_md("alpha"))
    skills_service.import_skill(bob, skill_md("beta"))
    skills_service.publish_skill("beta")

    rows = [line.split("\t")[:4] for line in run(cli_runner, "list").output.strip().splitlines()]
    assert rows == [["alpha", "ada@example.com", "private", str(len(skill_md("alpha")))],
                    ["alpha", "bob@example.com", "private", str(len(skill_md("alpha")))],
                    ["beta", "bob@example.com", "public", str(len(skill_md("beta")))]]
    assert [line.split("\t")[0] for line in run(cli_runner, "list", "--public").output.strip().splitlines()] == ["beta"]
    owned = run(cli_runner, "list", "--owner", "ada@example.com").output.strip().splitlines()
    assert [line.split("\t")[:2] for line in owned] == [["alpha", "ada@example.com"]]
    fails(run(cli_runner, "list", "--owner", "nobody@example.com"), "no user with email nobody@example.com")


def test_import_from_a_file_and_publish(cli_runner, client, factories, tmp_path):
    factories.user("ada@example.com")
    path = tmp_path / "SKILL.md"
    path.write_bytes(skill_md(newline="\r\n"))
    result = run(cli_runner, "import", "ada@example.com", str(path), "--publish")
    assert result.exit_code == 0, result.output
    assert "created pdf-tools for ada@example.com" in result.output and "published pdf-tools" in result.output
    assert last_line(result) == "pdf-tools"
    assert client.get("/skills/pdf-tools").data == skill_md(newline="\r\n")

    replaced = run(cli_runner, "import", "ada@example.com", "-", input=skill_md(body="v2\n"))
    assert replaced.exit_code == 0 and "replaced pdf-tools" in replaced.output
    assert client.get("/skills/pdf-tools").data == skill_md(body="v2\n")


@pytest.mark.parametrize("content,message", [
    (skill_md(name="../x"), "not a valid skill name"),
    (b"# no front matter\n", "must start with YAML front matter"),
    (b"---\nname: a\ndescription: \xff\n---\n", "must be UTF-8"),
    (skill_md() + b"x" * (256 * 1024), "at most 262144 bytes (256 KiB)"),
])
def test_import_refuses_bad_documents_clearly(cli_runner, factories, tmp_path, content, message):
    factories.user("ada@example.com")
    path = tmp_path / "SKILL.md"
    path.write_bytes(content)
    fails(run(cli_runner, "import", "ada@example.com", str(path)), message)
    assert db.session.scalar(select(Skill)) is None


def test_import_refuses_unknown_users_and_missing_files(cli_runner, factories, tmp_path):
    fails(run(cli_runner, "import", "nobody@example.com", "-", input=skill_md()), "no user with email")
    factories.user("ada@example.com")
    fails(run(cli_runner, "import", "ada@example.com", str(tmp_path / "missing.md")), "No such file or directory")


def test_delete_removes_the_skill(cli_runner, client, factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    skills_service.import_skill(ada, skill_md())
    skills_service.import_skill(bob, skill_md())
    fails(run(cli_runner, "delete", "pdf-tools"), "say whose with --owner EMAIL")
    result = run(cli_runner, "delete", "pdf-tools", "--owner", "ada@example.com")
    assert result.exit_code == 0, result.output
    assert last_line(result) == "pdf-tools"
    assert is_public(ada, "pdf-tools") is None and is_public(bob, "pdf-tools") is False


def test_access_key_prints_the_key_and_rotates_it(cli_runner, client, factories):
    user = factories.user("ada@example.com")
    skills_service.import_skill(user, skill_md())
    first = run(cli_runner, "access-key", "ada@example.com")
    assert first.exit_code == 0, first.output
    key = last_line(first)
    assert key.startswith("skl_")
    assert last_line(run(cli_runner, "access-key", "ada@example.com")) == key
    assert client.get(f"/me/{key}/pdf-tools").status_code == 200

    rotated = run(cli_runner, "access-key", "ada@example.com", "--rotate")
    assert rotated.exit_code == 0
    new_key = last_line(rotated)
    assert new_key != key
    assert client.get(f"/me/{key}/pdf-tools").status_code == 404
    assert client.get(f"/me/{new_key}/pdf-tools").status_code == 200
    fails(run(cli_runner, "access-key", "nobody@example.com"), "no user with email")
