"""Absolute URLs of the registry, right for the host (and /ai mirror) the request came in on."""
from flask import current_app, request, url_for

from app.skills.host import ENVIRON_KEY, PUBLIC_PREFIX, normalize_host


def on_skills_host():
    """True when the current request came in on SKILLS_HOST."""
    return bool(request.environ.get(ENVIRON_KEY))


def _here(url):
    # On the skills host the public routes live at the root, not under /skills/.
    if on_skills_host():
        mounted = request.root_url + PUBLIC_PREFIX.lstrip("/") + "/"
        if url.startswith(mounted):
            return request.root_url + url[len(mounted):]
    return url


def public_index_url():
    """The public listing on this host."""
    return _here(url_for("skills.public_index", _external=True))


def public_skill_url(name):
    """A public skill on this host."""
    return _here(url_for("skills.public_skill", name=name, _external=True))


def private_index_url(access_key):
    """A user's capability URL (their listing) on this host."""
    return url_for("skills.private_index", access_key=access_key, _external=True)


def private_skill_url(access_key, name):
    """One private skill behind a capability URL, on this host."""
    return url_for("skills.private_skill", access_key=access_key, name=name, _external=True)


def _registry_address(endpoint, **values):
    """An URL to show outside the registry (the dashboard): on SKILLS_HOST when one is configured,
    since that is the registry's public address, else on the host of the current request."""
    skills_host = normalize_host(current_app.config.get("SKILLS_HOST"))
    if not skills_host or on_skills_host():
        return None
    path = url_for(endpoint, **values, _external=False)[len(request.script_root):]
    # On the skills host the public routes live at the root, not under /skills/.
    if endpoint == "skills.public_skill":
        path = path[len(PUBLIC_PREFIX):]
    return f"{request.scheme}://{skills_host}{path}"


def capability_url(access_key):
    """The capability URL to show its owner elsewhere (the dashboard): on SKILLS_HOST when one is
    configured, which is the registry's public address, else on the host of the current request."""
    return _registry_address("skills.private_index", access_key=access_key) or private_index_url(access_key)


def shared_public_skill_url(name):
    """A public skill's URL to show elsewhere (the dashboard): on SKILLS_HOST when configured, as above."""
    return _registry_address("skills.public_skill", name=name) or public_skill_url(name)
