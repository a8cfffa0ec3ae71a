"""The schema itself refuses what the registry's rules forbid, whatever code writes to it."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Skill, SkillAccessKey
from app.services.skills import registry as skills_service
from tests.skills.conftest import skill_md


def test_public_names_are_unique_and_private_names_unique_per_owner(factories):
    ada, bob = factories.user(), factories.user()
    mine, _ = skills_service.import_skill(ada, skill_md())
    theirs, _ = skills_service.import_skill(bob, skill_md())
    skills_service.publish_skill("pdf-tools", ada.email)
    skills_service.get_or_create_access_key(ada)
    ada_key = skills_service.get_access_key(ada)
    checks = [
        lambda: db.session.execute(sa.update(Skill).where(Skill.id == theirs.id).values(is_public=True)),
        lambda: db.session.add(Skill(user_id=ada.id, name="pdf-tools", description="d", content=b"x",
                                     content_sha256="0" * 64, size_bytes=1)),
        # one access key per user, and digests are unique
        lambda: db.session.add(SkillAccessKey(user_id=ada.id, key_digest="e" * 64, key_prefix="skl_e",
                                              key_encrypted="e")),
        lambda: db.session.add(SkillAccessKey(user_id=bob.id, key_digest=ada_key.key_digest, key_prefix="skl_f",
                                              key_encrypted="f")),
    ]
    for violate in checks:
        with pytest.raises(IntegrityError):
            violate()
            db.session.flush()
        db.session.rollback()
    assert mine.id != theirs.id


def test_deleting_a_user_deletes_their_skills_and_key(factories):
    user = factories.user()
    skills_service.import_skill(user, skill_md())
    skills_service.get_or_create_access_key(user)
    db.session.execute(sa.delete(type(user)).where(type(user).id == user.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Skill)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SkillAccessKey)) == 0
