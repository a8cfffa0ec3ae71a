"""Usage API blueprint: /usage, /usage/<id>, /usage/accounts/<id>/activate (SPEC §5)."""
from flask import Blueprint

bp = Blueprint("usage_api", __name__)

from app.usage_api import errors, routes  # noqa: E402,F401  (registers handlers and routes on bp)
