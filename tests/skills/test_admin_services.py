"""The services behind the dashboard: revealing the access key, and publishing one exact skill by id."""
import pytest

from app.extensions import db
from app.services.skills import registry as skills_service
from app.services.errors import Conflict, NotFound
from tests.skills.conftest import skill_md


def test_reveal_needs_a_minted_key_and_then_gives_it_back(factories):
    user = factories.user()
    with pytest.raises(NotFound, match="no skills access key has been minted yet"):
        skills_service.reveal_access_key(user)
    key = skills_service.get_or_create_access_key(user)
    assert skills_service.reveal_access_key(user) == key
    rotated = skills_service.rotate_access_key(user)
    assert skills_service.reveal_access_key(user) == rotated != key


def test_publishing_by_id_acts_on_that_skill_even_when_others_share_its_name(factories):
    ada, bob = factories.user("ada@example.com"), factories.user("bob@example.com")
    adas, _ = skills_service.import_skill(ada, skill_md(body="ada\n"))
    bobs, _ = skills_service.import_skill(bob, skill_md(body="bob\n"))

    skill, changed = skills_service.publish_skill_by_id(bobs.id)
    assert changed is True and skill.id == bobs.id and skill.published_at is not None
    assert skills_service.get_public_skill("pdf-tools").content == skill_md(body="bob\n")
    assert skills_service.publish_skill_by_id(bobs.id)[1] is False
    with pytest.raises(Conflict, match="the public skill 'pdf-tools' is bob@example.com's; unpublish it first"):
        skills_service.publish_skill_by_id(adas.id)

    assert skills_service.unpublish_skill_by_id(adas.id)[1] is False  # already private: nothing to do
    skill, changed = skills_service.unpublish_skill_by_id(bobs.id)
    assert changed is True and skill.is_public is False and skill.published_at is None
    db.session.rollback()
    assert [s.is_public for s in skills_service.list_all_skills()] == [False, False]
    with pytest.raises(NotFound):
        skills_service.get_public_skill("pdf-tools")


def test_unknown_ids_are_not_found(factories):
    for action in (skills_service.get_skill, skills_service.publish_skill_by_id, skills_service.unpublish_skill_by_id):
        with pytest.raises(NotFound, match="there is no skill with id 12345"):
            action(12345)
