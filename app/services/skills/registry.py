"""The skills registry: each user's SKILL.md documents, their skl_ access key, and publishing.

A user reaches their own skills through a capability URL holding their access key; admins
make a skill public, after which `/skills/<name>` serves it to everyone. Public names are
unique (a partial unique index); private names are unique per owner.
"""
import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, undefer

from app.extensions import db
from app.models import Skill, SkillAccessKey, User
from app.models.base import utcnow
from app.services.accounts.users import get_user_by_email
from app.services.credentials import crypto
from app.services.credentials.secrets import SKILLS_KEY, digest_secret, has_prefix, mint_secret
from app.services.db.transactions import write_transaction
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.skills.documents import is_valid_name, parse_skill_document

# --- access keys -------------------------------------------------------------------------


def get_access_key(user):
    """The user's SkillAccessKey row (display prefix, times), or None when none was minted yet."""
    return db.session.scalar(select(SkillAccessKey).where(SkillAccessKey.user_id == user.id))


def get_or_create_access_key(user):
    """The plaintext of the user's skills access key, minting one on first use."""
    row = get_access_key(user)
    if row is not None:
        return crypto.decrypt(row.key_encrypted)
    try:
        with write_transaction() as session:
            row = session.scalar(select(SkillAccessKey).where(SkillAccessKey.user_id == user.id))
            if row is not None:
                return crypto.decrypt(row.key_encrypted)
            minted = mint_secret(SKILLS_KEY)
            session.add(SkillAccessKey(user_id=user.id, key_digest=minted.digest,
                                       key_prefix=minted.display_prefix, key_encrypted=crypto.encrypt(minted.token)))
    except IntegrityError:
        # Another request minted the user's key first (PostgreSQL): that one is the key.
        return crypto.decrypt(get_access_key(user).key_encrypted)
    return minted.token


def rotate_access_key(user):
    """Replace the user's access key (the old capability URLs stop working at once); returns the new one."""
    try:
        return _rotate(user)
    except IntegrityError:
        # A first key was minted concurrently (PostgreSQL): now there is a row to replace.
        return _rotate(user)


def _rotate(user):
    minted = mint_secret(SKILLS_KEY)
    with write_transaction() as session:
        row = session.scalar(select(SkillAccessKey).where(SkillAccessKey.user_id == user.id).with_for_update())
        if row is None:
            session.add(SkillAccessKey(user_id=user.id, key_digest=minted.digest,
                                       key_prefix=minted.display_prefix, key_encrypted=crypto.encrypt(minted.token)))
        else:
            row.key_digest = minted.digest
            row.key_prefix = minted.display_prefix
            row.key_encrypted = crypto.encrypt(minted.token)
            row.rotated_at = utcnow()
    return minted.token


def reveal_access_key(user):
    """The plaintext of the user's existing access key; NotFound when none was minted yet."""
    row = get_access_key(user)
    if row is None:
        raise NotFound("no skills access key has been minted yet")
    return crypto.decrypt(row.key_encrypted)


def user_for_access_key(access_key):
    """The user whose live access key this is, or None (unknown, rotated and malformed alike)."""
    if not has_prefix(access_key, SKILLS_KEY):
        return None
    return db.session.scalar(
        select(User).join(SkillAccessKey, SkillAccessKey.user_id == User.id)
        .where(SkillAccessKey.key_digest == digest_secret(access_key)))


# --- a user's own skills -----------------------------------------------------------------


def list_user_skills(user):
    """The user's skills by name (content not loaded)."""
    return list(db.session.scalars(select(Skill).where(Skill.user_id == user.id).order_by(Skill.name)))


def get_user_skill(user, name):
    """One of the user's skills with its content; NotFound when they have none by that name."""
    skill = None
    if is_valid_name(name):
        skill = db.session.scalar(select(Skill).options(undefer(Skill.content))
                                  .where(Skill.user_id == user.id, Skill.name == name))
    if skill is None:
        raise NotFound(f"you have no skill named {name!r}")
    return skill


def import_skill(user, content):
    """Validate a SKILL.md (bytes) and save it as the user's skill of that name, creating or
    replacing it; returns (skill, created). A replaced public skill stays public."""
    document = parse_skill_document(content)
    try:
        return _save(user, document)
    except IntegrityError:
        # A concurrent import created the same name first (PostgreSQL); ours replaces it.
        return _save(user, document)


def _save(user, document):
    digest = hashlib.sha256(document.content).hexdigest()
    now = utcnow()
    with write_transaction() as session:
        skill = session.scalar(select(Skill).where(Skill.user_id == user.id, Skill.name == document.name)
                               .with_for_update())
        created = skill is None
        if created:
            skill = Skill(user_id=user.id, name=document.name, is_public=False, created_at=now)
            session.add(skill)
        if created or skill.content_sha256 != digest:
            skill.updated_at = now
        skill.description = document.description
        skill.content = document.content
        skill.content_sha256 = digest
        skill.size_bytes = len(document.content)
    return skill, created


def delete_user_skill(user, name):
    """Delete one of the user's skills (and so its public page, if it was published)."""
    with write_transaction() as session:
        skill = session.scalar(select(Skill).where(Skill.user_id == user.id, Skill.name == name)
                               .with_for_update()) if is_valid_name(name) else None
        if skill is None:
            raise NotFound(f"you have no skill named {name!r}")
        session.delete(skill)


# --- public skills and publishing --------------------------------------------------------


def list_public_skills():
    """Every public skill by name (content not loaded)."""
    return list(db.session.scalars(select(Skill).where(Skill.is_public.is_(True)).order_by(Skill.name)))


def get_public_skill(name):
    """The public skill of that name with its content; NotFound otherwise."""
    skill = None
    if is_valid_name(name):
        skill = db.session.scalar(select(Skill).options(undefer(Skill.content))
                                  .where(Skill.name == name, Skill.is_public.is_(True)))
    if skill is None:
        raise NotFound(f"there is no public skill named {name!r}")
    return skill


def list_all_skills(*, owner_email=None, public_only=False):
    """Every skill with its owner, for admins: by name, then owner."""
    query = select(Skill).join(User, Skill.user_id == User.id).options(joinedload(Skill.owner))
    if owner_email is not None:
        query = query.where(Skill.user_id == get_user_by_email(owner_email).id)
    if public_only:
        query = query.where(Skill.is_public.is_(True))
    return list(db.session.scalars(query.order_by(Skill.name, User.email)))


def find_skill_for_admin(name, owner_email=None):
    """The skill an admin means by NAME: the owner's when given, else the only one by that name."""
    if owner_email is not None:
        owner = get_user_by_email(owner_email)
        skill = db.session.scalar(select(Skill).where(Skill.user_id == owner.id, Skill.name == name))
        if skill is None:
            raise NotFound(f"{owner.email} has no skill named {name!r}")
        return skill
    candidates = list(db.session.scalars(select(Skill).options(joinedload(Skill.owner))
                                         .where(Skill.name == name)))
    if not candidates:
        raise NotFound(f"no user has a skill named {name!r}")
    if len(candidates) > 1:
        owners = ", ".join(sorted(skill.owner.email for skill in candidates))
        raise InvalidInput(f"{len(candidates)} users have a skill named {name!r} ({owners}); "
                           "say whose with --owner EMAIL")
    return candidates[0]


def get_skill(skill_id):
    """Any user's skill by id, with its owner (content not loaded), for admins; NotFound otherwise."""
    skill = db.session.scalar(select(Skill).options(joinedload(Skill.owner)).where(Skill.id == skill_id))
    if skill is None:
        raise NotFound(f"there is no skill with id {skill_id}")
    return skill


def publish_skill(name, owner_email=None):
    """Make a skill public (see find_skill_for_admin); returns (skill, changed)."""
    return _publish(lambda: find_skill_for_admin(name, owner_email))


def publish_skill_by_id(skill_id):
    """Make that exact skill public; returns (skill, changed). Conflict while another user's holds the name."""
    return _publish(lambda: get_skill(skill_id))


def _publish(find):
    name = None
    try:
        with write_transaction():
            skill = find()
            name = skill.name
            if skill.is_public:
                return skill, False
            holder = db.session.scalar(select(Skill).options(joinedload(Skill.owner))
                                       .where(Skill.name == name, Skill.is_public.is_(True)))
            if holder is not None:
                raise Conflict(f"the public skill {name!r} is {holder.owner.email}'s; unpublish it first")
            skill.is_public = True
            skill.published_at = utcnow()
    except IntegrityError:
        raise Conflict(f"another skill named {name!r} was just made public; unpublish it first") from None
    return skill, True


def unpublish_skill(name):
    """Make the public skill of that name private again (its owner keeps it); returns it."""
    with write_transaction() as session:
        skill = session.scalar(select(Skill).where(Skill.name == name, Skill.is_public.is_(True)).with_for_update())
        if skill is None:
            raise NotFound(f"there is no public skill named {name!r}")
        skill.is_public = False
        skill.published_at = None
    return skill


def unpublish_skill_by_id(skill_id):
    """Make that exact skill private again (its owner keeps it); returns (skill, changed)."""
    with write_transaction() as session:
        skill = session.scalar(select(Skill).where(Skill.id == skill_id).with_for_update())
        if skill is None:
            raise NotFound(f"there is no skill with id {skill_id}")
        changed = skill.is_public
        skill.is_public = False
        skill.published_at = None
    return skill, changed
