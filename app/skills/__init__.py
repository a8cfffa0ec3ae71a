"""Skills registry blueprint: /skills/..., /me/<access_key>/... (SPEC §8)."""
from flask import Blueprint

bp = Blueprint("skills", __name__)
