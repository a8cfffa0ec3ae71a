"""Conditional JSON responses: a strong ETag over the exact body bytes, and 304 on a match."""
import hashlib
import json

from flask import Response, request

CACHE_CONTROL = "private, no-cache"


def conditional_json(payload):
    """200 with the payload and a strong ETag, or 304 with no body when If-None-Match names it.

    The tag is a digest of the bytes sent, so it changes exactly when the body does. If-None-Match
    uses the weak comparison (RFC 9110 §13.1.2): a W/ form of the tag, a list, or `*` all match.
    """
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    tag = hashlib.sha256(body).hexdigest()[:32]
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        response = Response(body, status=200, mimetype="application/json")
    response.set_etag(tag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
