"""How an operation is declared for the description: a Flask endpoint and method, and what it answers."""
from dataclasses import dataclass, field

# The error shape of each API family (component names of the schemas registered by app.openapi.builder).
ANTHROPIC, OPENAI, JSON = "anthropic", "openai", "json"
ERROR_SCHEMAS = {ANTHROPIC: "AnthropicError", OPENAI: "OpenAIError", JSON: "Error"}

STATUS_TEXT = {
    200: "OK", 201: "Created", 204: "No Content", 302: "Found", 304: "Not Modified (If-None-Match matched)",
    400: "Invalid request", 401: "Missing, malformed, unknown or revoked credential", 403: "Not allowed",
    404: "Not found (or not yours)", 405: "Method not allowed", 408: "The request body did not arrive in time",
    409: "Conflict with the current state", 413: "Request body too large", 415: "Unsupported media type",
    429: "Rate limited or over a spend cap", 500: "Internal error",
    502: "Upstream unreachable", 503: "Service unavailable (e.g. the database is away)", 504: "Upstream timed out",
    529: "Overloaded",
}
# A text/event-stream body, as schemathesis and clients see it: one object per event.
SSE_EVENT = {"type": "object", "description": "One server-sent event, relayed as the upstream sent it",
             "properties": {"event": {"type": "string"}, "data": {"type": "string"}, "id": {"type": "string"},
                            "retry": {"type": "integer"}}}
# Every operation may meet these: a slow body (408) and the database going away (503).
ALWAYS = (408, 503)


@dataclass
class Op:
    """One documented operation.

    `ok` maps success statuses to a response: a marshmallow schema class (JSON), a dict of
    media type -> schema (None: any body), or None (no body). `errors` lists error statuses
    rendered in the family's shape. `path` overrides the Flask rule (the proxy's catch-all).
    """

    endpoint: str
    method: str
    summary: str
    tag: str
    family: str
    ok: dict
    errors: tuple = ()
    security: list = None
    body: object = None
    body_required: bool = True
    params: list = field(default_factory=list)
    path: str = None
    operation_id: str = None
    description: str = None
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
