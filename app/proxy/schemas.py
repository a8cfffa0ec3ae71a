"""Marshmallow schemas of what the proxy itself answers (Anthropic's error shape), for /openapi.json.

Everything else under /anthropic/<proxy_token>/ is relayed from the upstream as it came.
"""
from marshmallow import Schema, fields, validate

ERROR_TYPES = ["invalid_request_error", "authentication_error", "billing_error", "permission_error",
               "not_found_error", "request_too_large", "rate_limit_error", "api_error", "overloaded_error"]


class AnthropicErrorDetailSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(ERROR_TYPES))
    message = fields.String(required=True)


class AnthropicErrorSchema(Schema):
    """{"type": "error", "error": {"type", "message"}, "request_id"}."""

    type = fields.Constant("error", required=True)
    error = fields.Nested(AnthropicErrorDetailSchema, required=True)
    request_id = fields.String()


class MessagesRequestSchema(Schema):
    """The fields of a Messages API request the proxy looks at; the body is relayed unchanged."""

    class Meta:
        unknown = "include"

    model = fields.String(metadata={"example": "claude-sonnet-4-5"})
    max_tokens = fields.Integer()
    messages = fields.List(fields.Dict())
    stream = fields.Boolean()
