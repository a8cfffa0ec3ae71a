"""The Anthropic error shape (PROTOCOLS §1.6): its types by HTTP status, its body, its SSE event.

Used by the proxy blueprint's error handler (app.proxy.errors) and by the relay's body for an
error event in the middle of a stream (app.services.claude.body).
"""
import json

ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
    403: "permission_error", 404: "not_found_error", 405: "invalid_request_error",
    409: "invalid_request_error", 413: "request_too_large", 429: "rate_limit_error",
    500: "api_error", 502: "api_error", 503: "api_error", 504: "api_error", 529: "overloaded_error",
}


def anthropic_error_type(status):
    """The Anthropic error type for an HTTP status (invalid_request_error for other 4xx)."""
    return ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def error_body(status, message, request_id=None):
    """{"type":"error","error":{"type","message"},"request_id"?} for an HTTP status."""
    body = {"type": "error", "error": {"type": anthropic_error_type(status), "message": message}}
    if request_id:
        body["request_id"] = request_id
    return body


def error_event(message, request_id):
    """An SSE `error` event (api_error), as Anthropic sends one mid-stream."""
    body = {"type": "error", "error": {"type": "api_error", "message": message}, "request_id": request_id}
    return b"event: error\ndata: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"
