"""Entry points of the Anthropic proxy: a transparent relay under /anthropic/{proxy_token}/.

The proxy's own refusals are in Anthropic's error shape; everything else is the upstream's
answer, relayed with its status, headers and body (JSON, or an SSE stream when asked for).
"""
from app.openapi.operation import ANTHROPIC, SSE_EVENT, Op
from app.openapi.security import PROXY
from app.proxy.schemas import MessagesRequestSchema

TAG = "Anthropic proxy"
PROXY_ERRORS = (400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529)
ANY = {"*/*": None}
MESSAGE = {"application/json": {"type": "object", "description": "The upstream's Message, relayed"},
           "text/event-stream": SSE_EVENT}
RELAYED = {"description": "Any other answer of the upstream, relayed as it came (errors in Anthropic's shape)",
           "content": {"*/*": {}}}
BASE = "/anthropic/{proxy_token}"
ANTHROPIC_VERSION = {"name": "anthropic-version", "in": "header", "required": False,
                     "schema": {"type": "string", "example": "2023-06-01"}, "description": "Passed through"}
PROXY_TOKEN = {"name": "proxy_token", "in": "path", "required": True,
               "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$", "example": "PROXY-TOKEN-PLACEHOLDER"},
               "description": "The machine's proxy token: the credential (unknown, rotated or revoked: 401)."}
SUBPATH = {"name": "subpath", "in": "path", "required": True, "schema": {"type": "string", "example": "v1/models"},
           "description": "Any upstream path (may contain slashes); the query string is kept."}


def _relay(method, path, summary, ok, *, body=None, params=(), op_id, description=None):
    return Op("proxy.forward", method, summary, TAG, ANTHROPIC, ok, PROXY_ERRORS, PROXY, body=body,
              body_required=body is not None, params=[PROXY_TOKEN, ANTHROPIC_VERSION, *params], path=BASE + path,
              operation_id=op_id, description=description, extra={"default": RELAYED})


OPERATIONS = [
    _relay("POST", "/v1/messages", "Create a Message (relayed)", {200: MESSAGE}, body=MessagesRequestSchema,
           op_id="proxy.messages",
           description="Relayed to the Anthropic upstream with the active pooled account's credential (or the "
                       "caller's own on a passthrough machine) and metered from the response's usage."),
    _relay("POST", "/v1/messages/count_tokens", "Count tokens (relayed)", {200: {"application/json": None}},
           body=MessagesRequestSchema, op_id="proxy.count_tokens"),
    _relay("GET", "/v1/models", "List models (relayed)", {200: {"application/json": None}}, op_id="proxy.models"),
    _relay("HEAD", "/", "Probe the proxy base URL (answered by the proxy)", {200: None}, op_id="proxy.probe",
           description="Claude Code's connectivity probe: 200 for a live token, 401 otherwise; nothing is relayed."),
    *[_relay(method, "/{subpath}", f"Any other upstream path ({method}, relayed)", {200: ANY}, params=[SUBPATH],
             op_id=f"proxy.relay_{method.lower()}", body=ANY if method in ("POST", "PUT", "PATCH") else None)
      for method in ("GET", "POST", "PUT", "PATCH", "DELETE")],
]
