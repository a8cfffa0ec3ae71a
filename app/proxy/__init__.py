"""Anthropic proxy blueprint: /anthropic/<proxy_token>/... (SPEC §3)."""
from flask import Blueprint
from werkzeug.exceptions import HTTPException

from app.errors import register_family
from app.services.errors import ServiceError

bp = Blueprint("proxy", __name__)

from app.proxy import errors, routes  # noqa: E402,F401  (routes register themselves on bp)

register_family(errors.is_proxy_path, errors.render_anthropic_error)
bp.register_error_handler(ServiceError, errors.render_exception)
bp.register_error_handler(HTTPException, errors.render_exception)
