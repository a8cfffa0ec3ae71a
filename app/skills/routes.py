"""Registry routes: public skills under /skills/, private ones behind /me/<access_key>/ (SPEC §8)."""
from flask import jsonify

from app.services.skills import registry as skills_service
from app.services.errors import NotFound
from app.skills import bp, urls
from app.skills.body import read_import_document
from app.skills.render import document_response, listing_response, skill_summary

# Exactly what any unmatched URL answers: an unknown, rotated or malformed key tells nothing.
_UNKNOWN_KEY = "The requested resource could not be found."


def _owner_of(access_key):
    user = skills_service.user_for_access_key(access_key)
    if user is None:
        raise NotFound(_UNKNOWN_KEY)
    return user


@bp.get("/skills/")
def public_index():
    """The public skills, as markdown or JSON."""
    entries = [skill_summary(skill, urls.public_skill_url(skill.name), private=False)
               for skill in skills_service.list_public_skills()]
    return listing_response("Public skills", entries, private=False, empty="No public skills yet.")


@bp.get("/skills/<name>")
def public_skill(name):
    """One public SKILL.md, raw."""
    return document_response(skills_service.get_public_skill(name), private=False)


@bp.get("/me/<access_key>/")
def private_index(access_key):
    """The access key holder's skills, as markdown or JSON."""
    user = _owner_of(access_key)
    entries = [skill_summary(skill, urls.private_skill_url(access_key, skill.name), private=True)
               for skill in skills_service.list_user_skills(user)]
    return listing_response("Your skills", entries, private=True)


@bp.get("/me/<access_key>/<name>")
def private_skill(access_key, name):
    """One of the holder's SKILL.md documents, raw."""
    return document_response(skills_service.get_user_skill(_owner_of(access_key), name), private=True)


@bp.delete("/me/<access_key>/<name>")
def delete_skill(access_key, name):
    """Delete one of the holder's skills (public or not)."""
    skills_service.delete_user_skill(_owner_of(access_key), name)
    return "", 204


@bp.post("/me/<access_key>/import")
def import_skill(access_key):
    """Save a SKILL.md (raw body or JSON {"markdown"}): 201 when new, 200 when it replaced one."""
    user = _owner_of(access_key)
    skill, created = skills_service.import_skill(user, read_import_document())
    url = urls.private_skill_url(access_key, skill.name)
    body = skill_summary(skill, url, private=True)
    body["created"] = created
    if skill.is_public:
        body["public_url"] = urls.public_skill_url(skill.name)
    response = jsonify(body)
    response.status_code = 201 if created else 200
    response.headers["Location"] = url
    response.set_etag(skill.etag)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
