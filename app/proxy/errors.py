"""Errors the proxy itself produces, in Anthropic's shape (app.services.claude.errors)."""
from flask import jsonify

from app.errors import describe
from app.middleware import current_request_id
from app.services.claude.errors import error_body


def render_anthropic_error(info):
    """{"type":"error","error":{"type","message"},"request_id"} with the info's status."""
    response = jsonify(error_body(info.status, info.message, current_request_id()))
    response.status_code = info.status
    response.headers.update(info.headers)
    return response


def render_exception(exc):
    """Any exception raised under the proxy, in Anthropic's shape."""
    return render_anthropic_error(describe(exc))


def is_proxy_path(path, _host):
    """Whether an (unmatched) URL belongs to the proxy."""
    return path.startswith("/anthropic/") or path == "/anthropic"
