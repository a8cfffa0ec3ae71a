"""Marshmallow schemas this blueprint documents itself: the shared JSON error shape and /healthz."""
from marshmallow import Schema, fields, validate


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    fields = fields.Dict(metadata={"description": "Per-field messages, for invalid input"})


class ErrorSchema(Schema):
    """{"error": {"code", "message", "fields"?}}: the usage API, dashboard API, CLI API and skills registry."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok", "unavailable"]))
    database = fields.String(required=True, validate=validate.OneOf(["ok", "unreachable"]))
