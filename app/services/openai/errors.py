"""OpenAI's error shape (PROTOCOLS §4.5): types by status, error objects, and upstream errors
(OpenAI's, both vLLM shapes, FastAPI's, non-JSON) read into it."""
import json

ERROR_TYPES = {
    400: "invalid_request_error", 401: "invalid_request_error", 403: "permission_error",
    404: "invalid_request_error", 405: "invalid_request_error", 409: "invalid_request_error",
    413: "invalid_request_error", 429: "rate_limit_error", 500: "server_error",
    502: "server_error", 503: "server_error", 504: "server_error",
}

# Types the OpenAI SDKs and tools know; anything else (vLLM's exception names) is mapped from the status.
OPENAI_ERROR_TYPES = frozenset({
    "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
    "rate_limit_error", "insufficient_quota", "server_error", "api_error", "quota_exceeded",
})


def openai_error_type(status):
    """The OpenAI error type for an HTTP status."""
    return ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")


def error_object(status, message, *, error_type=None, code=None, param=None):
    """An OpenAI error object {"message","type","param","code"} for an HTTP status."""
    return {"message": message, "type": error_type or openai_error_type(status), "param": param, "code": code}


def _string_or_none(value):
    return value if isinstance(value, str) and value else None


def normalize_error(status, payload):
    """The OpenAI error object for an upstream error payload (a parsed JSON value, or None).

    `status` None (an error inside a 200 stream) takes vLLM's integer `code`, else 500.
    """
    inner = None
    if isinstance(payload, dict):
        if isinstance(payload.get("error"), dict):
            inner = payload["error"]                      # OpenAI, vLLM >= 0.10.1
        elif payload.get("object") == "error" or "message" in payload:
            inner = payload                               # vLLM < 0.10.1 (flat)
        elif isinstance(payload.get("error"), str):
            inner = {"message": payload["error"]}
        elif isinstance(payload.get("detail"), str):
            inner = {"message": payload["detail"]}        # FastAPI's default errors
    if status is None:
        code = inner.get("code") if inner is not None else None
        status = code if isinstance(code, int) and 400 <= code < 600 else 500
    if inner is None:
        return error_object(status, f"The upstream server answered HTTP {status} without an error we could read.",
                            code="upstream_error")
    message = _string_or_none(inner.get("message")) or f"The upstream server answered HTTP {status}."
    upstream_type = _string_or_none(inner.get("type"))
    return error_object(status, message,
                        error_type=upstream_type if upstream_type in OPENAI_ERROR_TYPES else None,
                        code=_string_or_none(inner.get("code")), param=_string_or_none(inner.get("param")))


def normalize_error_body(status, body):
    """The OpenAI error object for an upstream error response body (bytes, maybe not JSON)."""
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    return normalize_error(status, payload)


def error_event(error):
    """An SSE event carrying an error object, as OpenAI sends one mid-stream."""
    return b"data: " + json.dumps({"error": error}, separators=(",", ":")).encode() + b"\n\n"
