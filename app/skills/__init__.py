"""Skills registry blueprint: /skills/..., /me/<access_key>/... (SPEC §8)."""
from flask import Blueprint

bp = Blueprint("skills", __name__)

from app.skills import routes  # noqa: E402,F401  (registers the routes on bp)
