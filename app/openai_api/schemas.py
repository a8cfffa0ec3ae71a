"""Marshmallow schemas of the OpenAI-compatible API's bodies, for /openapi.json.

The chat request is relayed, unknown fields included, so its schema names the fields the
gateway itself reads and allows any others; the models list is built by routes.py.
"""
from marshmallow import INCLUDE, Schema, fields


class ChatMessageSchema(Schema):
    class Meta:
        unknown = INCLUDE

    role = fields.String(required=True, metadata={"example": "user"})
    content = fields.Raw(metadata={"description": "A string or an array of content parts", "example": "Hello"})


class StreamOptionsSchema(Schema):
    class Meta:
        unknown = INCLUDE

    include_usage = fields.Boolean()


class ChatCompletionRequestSchema(Schema):
    """POST /v1/chat/completions: relayed to the model's upstream with unknown fields kept."""

    class Meta:
        unknown = INCLUDE

    model = fields.String(required=True, metadata={"example": "qwen3-8b"})
    messages = fields.List(fields.Nested(ChatMessageSchema), required=True)
    stream = fields.Boolean()
    stream_options = fields.Nested(StreamOptionsSchema)


class ModelSchema(Schema):
    id = fields.String(required=True, metadata={"example": "qwen3-8b"})
    object = fields.Constant("model", required=True)
    created = fields.Integer(required=True, metadata={"description": "Unix seconds"})
    owned_by = fields.String(required=True)


class ModelListSchema(Schema):
    object = fields.Constant("list", required=True)
    data = fields.List(fields.Nested(ModelSchema), required=True)


class OpenAIErrorDetailSchema(Schema):
    message = fields.String(required=True)
    type = fields.String(required=True, metadata={"example": "invalid_request_error"})
    param = fields.String(required=True, allow_none=True)
    code = fields.String(required=True, allow_none=True, metadata={"example": "invalid_api_key"})


class OpenAIErrorSchema(Schema):
    """{"error": {"message", "type", "param", "code"}}; a spend cap refusal has type quota_exceeded."""

    error = fields.Nested(OpenAIErrorDetailSchema, required=True)
