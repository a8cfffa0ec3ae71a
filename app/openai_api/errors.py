"""Errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}} (PROTOCOLS §4.5)."""
from flask import jsonify

ERROR_TYPES = {
    400: "invalid_request_error", 401: "invalid_request_error", 403: "permission_error",
    404: "invalid_request_error", 405: "invalid_request_error", 409: "invalid_request_error",
    413: "invalid_request_error", 429: "rate_limit_error", 500: "server_error",
    502: "server_error", 503: "server_error", 504: "server_error",
}
CODES = {401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
         413: "request_too_large", 429: "rate_limit_exceeded"}


def openai_error_type(status):
    """The OpenAI error type for an HTTP status."""
    return ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")


def render_openai_error(info, *, error_type=None):
    """The OpenAI error body with the info's status; `code` is the info's own code when it has one."""
    code = info.code if info.code not in (None, "error") else CODES.get(info.status)
    body = {"error": {"message": info.message, "type": error_type or openai_error_type(info.status),
                      "param": info.param, "code": code}}
    response = jsonify(body)
    response.status_code = info.status
    response.headers.update(info.headers)
    return response
