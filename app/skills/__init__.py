"""Skills registry blueprint: /skills/..., /me/<access_key>/... (SPEC §8)."""
from flask import Blueprint, current_app

from app.errors import register_family, render_json_error

bp = Blueprint("skills", __name__)

from app.skills import routes  # noqa: E402,F401  (registers the routes on bp)


def _on_skills_host(_path, host):
    skills_host = current_app.config.get("SKILLS_HOST")
    return bool(skills_host) and host.split(":")[0] == skills_host.split(":")[0]


# The skills host's root belongs to the registry, whatever its path looks like.
register_family(_on_skills_host, render_json_error, precedence=0)
