"""Errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}} (PROTOCOLS §4.5).

The blueprint's handlers also give every response to an authenticated key its remaining
allowance (x-hep-remaining-usd), errors included.
"""
import logging

from flask import g, jsonify
from werkzeug.exceptions import HTTPException

from app.errors import describe
from app.extensions import db
from app.services.errors import ServiceError
from app.services.money import format_micro
from app.services.openai.errors import openai_error_type
from app.services.quota.refusal import REMAINING_HEADER
from app.services.quota.standing import current_standing

logger = logging.getLogger("hepgg.openai_api")

CODES = {401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
         413: "request_too_large", 429: "rate_limit_exceeded"}
# A spend cap refusal (SPEC §4) has its own type; its code says which limit.
QUOTA_TYPE = "quota_exceeded"
QUOTA_CODES = frozenset({"quota_exhausted", "overage_cap", "no_hep_tokens"})


def render_openai_error(info, *, error_type=None):
    """The OpenAI error body with the info's status; `code` is the info's own code when it has one."""
    code = info.code if info.code not in (None, "error") else CODES.get(info.status)
    if error_type is None:
        error_type = QUOTA_TYPE if info.status == 429 and code in QUOTA_CODES else openai_error_type(info.status)
    body = {"error": {"message": info.message, "type": error_type, "param": info.param, "code": code}}
    response = jsonify(body)
    response.status_code = info.status
    response.headers.update(info.headers)
    return response


def _render(exc):
    return render_openai_error(describe(exc))


def _add_remaining_allowance(response):
    key = g.get("llm_key")
    if key is None or REMAINING_HEADER in response.headers:
        return response
    try:
        response.headers[REMAINING_HEADER] = format_micro(current_standing(key.user_id).remaining())
    except Exception:  # the allowance is informative; never turn a response into a 500 over it
        db.session.rollback()
        logger.exception("could not compute the remaining allowance")
    return response


def is_openai_path(path, _host):
    """Whether an (unmatched) URL belongs to the OpenAI-compatible API."""
    return path.startswith("/v1/") or path == "/v1"


def register_handlers(bp):
    """Render the blueprint's errors in OpenAI's shape and add the allowance header to its responses."""
    bp.register_error_handler(ServiceError, _render)
    bp.register_error_handler(HTTPException, _render)
    bp.after_request(_add_remaining_allowance)
