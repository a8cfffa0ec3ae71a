"""Error rendering: each API family answers in its own shape, whoever raised the error.

Blueprint routes raise ServiceError subclasses or HTTP exceptions; unmatched URLs (404/405)
never reach a blueprint, so the family is chosen from the path (and the host) by the matchers
the blueprints register with register_family(); this module imports none of them.
"""
import logging
from dataclasses import dataclass, field

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.middleware import redact_path
from app.services.db.outage import database_unavailable, is_database_unavailable
from app.services.errors import ServiceError

logger = logging.getLogger("hepgg.errors")

_CODES_BY_STATUS = {
    400: "invalid_request", 401: "unauthenticated", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "request_too_large", 415: "unsupported_media_type",
    408: "request_timeout", 429: "rate_limited", 500: "internal_error", 502: "upstream_unreachable",
    503: "service_unavailable", 504: "upstream_timeout",
}


@dataclass
class ErrorInfo:
    """What went wrong, independent of the shape it is rendered in."""

    status: int
    message: str
    code: str
    param: object = None
    fields: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


def describe(exc):
    """An ErrorInfo for a ServiceError, an HTTPException, the database being away (503) or anything else (500)."""
    if is_database_unavailable(exc):
        exc = database_unavailable()
    if isinstance(exc, ServiceError):
        return ErrorInfo(exc.status, exc.message, exc.code, exc.param, exc.fields, exc.headers)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        message = {404: "The requested resource could not be found.",
                   405: f"Method {request.method} is not allowed on this path.",
                   413: "The request body is too large."}.get(status, exc.description or exc.name)
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return ErrorInfo(status, message, _CODES_BY_STATUS.get(status, "error"), headers=headers)
    return ErrorInfo(500, "Internal server error.", "internal_error")


def render_json_error(info):
    """The usage API's and dashboard API's shape: {"error": {"code", "message", "fields"?}}."""
    body = {"code": info.code, "message": info.message}
    if info.fields:
        body["fields"] = info.fields
    response = jsonify(error=body)
    response.status_code = info.status
    response.headers.update(info.headers)
    return response


# (precedence, match, renderer): which API family an error belongs to, for URLs that no blueprint
# matched (404/405 and errors raised before routing). Each blueprint registers its own.
_FAMILIES = []


def register_family(match, renderer, *, precedence=100):
    """Render errors of requests for which `match(path, host)` is true with `renderer(ErrorInfo)`.

    Families are tried by precedence (lower first), then in registration order; requests no
    family claims get render_json_error. Registering the same renderer again replaces it.
    """
    _FAMILIES[:] = [f for f in _FAMILIES if f[2] is not renderer]
    _FAMILIES.append((precedence, match, renderer))
    _FAMILIES.sort(key=lambda family: family[0])


def _family_renderer(path):
    host = request.host
    for _precedence, match, renderer in _FAMILIES:
        if match(path, host):
            return renderer
    return render_json_error


def render_error(exc):
    """Render any exception in the shape of the API family the request belongs to."""
    info = describe(exc)
    return _family_renderer(request.path)(info)


def _handle_http_exception(exc):
    return render_error(exc)


def _handle_service_error(exc):
    return render_error(exc)


def _handle_unexpected(exc):
    try:
        db.session.rollback()
    except Exception:  # the database is away: its connection is discarded, there is nothing to roll back
        pass
    if is_database_unavailable(exc):
        logger.warning("database unavailable on %s %s (%s)", request.method, redact_path(request.path),
                       type(exc).__name__)
        return render_error(exc)
    logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, redact_path(request.path),
                 exc_info=(type(exc), exc, exc.__traceback__))
    return render_error(exc)


def init_app(app):
    """Register the app-wide handlers; blueprints may add their own for their routes."""
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(ServiceError, _handle_service_error)
    app.register_error_handler(Exception, _handle_unexpected)
