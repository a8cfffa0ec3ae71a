"""OpenAI-compatible API blueprint: /v1/chat/completions, /v1/models (SPEC §4)."""
from flask import Blueprint

from app.errors import register_family

bp = Blueprint("openai_api", __name__)

from app.openai_api import errors, routes  # noqa: E402,F401  (routes register themselves on bp)

errors.register_handlers(bp)
register_family(errors.is_openai_path, errors.render_openai_error)
