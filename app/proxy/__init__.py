"""Anthropic proxy blueprint: /anthropic/<proxy_token>/... (SPEC §3)."""
from flask import Blueprint

bp = Blueprint("proxy", __name__)

from app.proxy import routes  # noqa: E402,F401  (registers the routes on bp)
