"""Errors the proxy itself produces, in Anthropic's shape (PROTOCOLS §1.6)."""
from flask import jsonify

from app.middleware import current_request_id

ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
    403: "permission_error", 404: "not_found_error", 405: "invalid_request_error",
    409: "invalid_request_error", 413: "request_too_large", 429: "rate_limit_error",
    500: "api_error", 502: "api_error", 503: "api_error", 504: "api_error", 529: "overloaded_error",
}


def anthropic_error_type(status):
    """The Anthropic error type for an HTTP status (invalid_request_error for other 4xx)."""
    return ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def render_anthropic_error(info):
    """{"type":"error","error":{"type","message"},"request_id"} with the info's status."""
    body = {"type": "error", "error": {"type": anthropic_error_type(info.status), "message": info.message}}
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = info.status
    response.headers.update(info.headers)
    return response
