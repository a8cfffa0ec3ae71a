"""WSGI middleware: the /ai mirror, and one JSON log line per request with a request id."""
import json
import logging
import re
import secrets
import time

from flask import has_request_context, request

logger = logging.getLogger("hepgg.request")

MIRROR_PREFIX = "/ai"
REQUEST_ID_KEY = "hepgg.request_id"

# Secrets we mint or relay, wherever they appear in a path or query string.
_SECRET_RE = re.compile(r"(?:ccas_|cct_|usg_|sk-hyd-|skl_|sk-ant-)[^/?&#\s]*")
# Path segments that hold a credential whatever it looks like (a mistyped token is still secret).
_CREDENTIAL_SEGMENT_RE = re.compile(r"^((?:/ai)?/(?:anthropic|me))/[^/]+")
_SENSITIVE_QUERY_KEYS = {"key", "api_key", "apikey", "token", "access_token", "secret", "password",
                         "auth", "authorization", "code"}
REDACTED = "[redacted]"


def redact_path(path):
    """A request path safe to log: credential segments and token-like strings replaced."""
    path = _CREDENTIAL_SEGMENT_RE.sub(lambda m: f"{m.group(1)}/{REDACTED}", path or "")
    return _SECRET_RE.sub(REDACTED, path)


def redact_query(query):
    """A query string safe to log: values of credential-like keys and token-like strings replaced."""
    if not query:
        return ""
    parts = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        if sep and name.lower() in _SENSITIVE_QUERY_KEYS:
            pair = f"{name}={REDACTED}"
        parts.append(_SECRET_RE.sub(REDACTED, pair))
    return "&".join(parts)


def new_request_id():
    return "req_" + secrets.token_hex(12)


def current_request_id():
    """The id RequestLog gave the current request (None outside one, or without the middleware)."""
    return request.environ.get(REQUEST_ID_KEY) if has_request_context() else None


class PrefixMirror:
    """Serve every route under /ai as well: /ai/v1/models is /v1/models.

    The prefix moves from PATH_INFO to SCRIPT_NAME, so url_for() keeps generating /ai links
    for requests that came in under it.
    """

    def __init__(self, app, prefix=MIRROR_PREFIX):
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix):] or "/"
        return self.app(environ, start_response)


class _LoggedBody:
    """Wraps a response body to count bytes and log once it is closed (streams included)."""

    def __init__(self, body, record):
        self._body = body
        self._record = record

    def __iter__(self):
        record = self._record
        for chunk in self._body:
            if record["bytes"] == 0 and chunk:
                record["ttfb_ms"] = round((time.perf_counter() - record["t0"]) * 1000, 2)
            record["bytes"] += len(chunk)
            yield chunk
        _emit(record)

    def close(self):
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            _emit(self._record)


def _emit(record):
    """Log the request once: when its body is exhausted or closed, whichever comes first."""
    t0 = record.pop("t0", None)
    if t0 is None or not logger.isEnabledFor(logging.INFO):
        return
    record["duration_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    logger.info(json.dumps(record, separators=(",", ":")))


class RequestLog:
    """Gives every request an id (X-Request-Id on the response) and logs one JSON line for it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request_id = new_request_id()
        environ[REQUEST_ID_KEY] = request_id
        record = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request_id": request_id,
            "method": environ.get("REQUEST_METHOD"),
            "path": redact_path(environ.get("PATH_INFO", "")),
            "query": redact_query(environ.get("QUERY_STRING", "")),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "status": None,
            "bytes": 0,
            "ttfb_ms": None,
            "t0": time.perf_counter(),
        }

        def logged_start_response(status, headers, exc_info=None):
            record["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-Id", request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, logged_start_response)
        except BaseException:
            record["status"] = 500
            _emit(record)
            raise
        return _LoggedBody(body, record)
