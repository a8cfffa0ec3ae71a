"""Routes of the Anthropic proxy: every method and path under /anthropic/<proxy_token>/.

Views stay thin: authenticate the machine, hand the request to the relay service, and wrap
its streamed body in a response that Werkzeug passes to the server untouched.
"""
from flask import Response, request

from app.middleware import current_request_id, new_request_id
from app.proxy import bp
from app.services.claude.auth import authenticate_proxy_call, last_seen_due
from app.services.credentials.secrets import bearer_token
from app.services.claude.relay import ProxyCall, relay_call

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
READ_SIZE = 64 * 1024


class RelayedResponse(Response):
    """A response that adds nothing of its own: no default Content-Type."""

    default_mimetype = None


def _read_body(limit):
    """The request body, or None as soon as it proves longer than `limit` bytes."""
    if request.content_length is not None:
        return request.get_data(cache=False) if request.content_length <= limit else None
    stream, parts, size = request.stream, [], 0
    while True:
        chunk = stream.read(min(READ_SIZE, limit + 1 - size))
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)


def _authenticate(token):
    presented = [bearer_token(request.headers.get("Authorization")), request.headers.get("x-api-key")]
    return authenticate_proxy_call(token, [value.strip() for value in presented if value])


@bp.route("/anthropic/<token>/", methods=METHODS, defaults={"subpath": ""}, strict_slashes=False)
@bp.route("/anthropic/<token>/<path:subpath>", methods=METHODS)
def forward(token, subpath):
    """Relay the request to Anthropic; HEAD on the base is Claude Code's probe and stays here."""
    machine = _authenticate(token)
    if request.method == "HEAD" and not subpath:
        return RelayedResponse(status=200)
    call = ProxyCall(
        request_id=current_request_id() or new_request_id(), machine=machine, method=request.method,
        path="/" + subpath, query=request.environ.get("QUERY_STRING", ""), headers=list(request.headers.items()),
        content_length=request.content_length, touch_machine=last_seen_due(machine.id))
    relayed = relay_call(call, _read_body)
    return RelayedResponse(relayed.body, status=relayed.status, headers=relayed.headers, direct_passthrough=True)
