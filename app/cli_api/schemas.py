"""Request bodies of the CLI API: JSON objects validated with marshmallow."""
import json

from flask import request
from marshmallow import Schema, ValidationError, fields, post_load, validate

from app.services.errors import InvalidInput
from app.services.credentials.machines import MAX_NAME_LENGTH
from app.services.db.text import fields_with_nul


class StrictBoolean(fields.Boolean):
    """true or false only: marshmallow's Boolean would also take "yes", 1 or "0"."""

    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class MachineCreateSchema(Schema):
    """POST /machines: a name (or the caller's hostname as the default) and the passthrough flag."""

    name = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    hostname = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    passthrough = StrictBoolean(load_default=False)

    @post_load
    def _default_name(self, data, **_kwargs):
        # An explicit name is checked by the service; a hostname is only a default, so it is cut to fit.
        hostname = (data.pop("hostname") or "").strip()[:MAX_NAME_LENGTH]
        if data["name"] is None:
            if not hostname:
                raise ValidationError({"name": ["Give a name or a hostname."]})
            data["name"] = hostname
        return data


def _summary(messages):
    parts = []
    for name, problems in messages.items():
        text = " ".join(problems) if isinstance(problems, list) else json.dumps(problems)
        parts.append(f"{name}: {text}")
    return "invalid request body: " + "; ".join(parts)


def load_body(schema):
    """The request's JSON object validated by `schema`; an empty body counts as {}.

    Malformed JSON, a non-object, unknown fields and wrong types are InvalidInput (400) with
    a message per field.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw)
        except ValueError:
            raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    if nul := fields_with_nul(data):
        raise InvalidInput(_summary(nul), fields=nul)
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput(_summary(exc.messages), fields=exc.messages) from None


# Response shapes (app/cli_api/shapes.py builds them; these describe them for /openapi.json).

class CliUserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    is_admin = fields.Boolean(required=True)


class MeSchema(Schema):
    user = fields.Nested(CliUserSchema, required=True)


class CliMachineUsageSchema(Schema):
    requests = fields.Integer(required=True)
    input_tokens = fields.Integer(required=True)
    output_tokens = fields.Integer(required=True)
    cache_creation_input_tokens = fields.Integer(required=True)
    cache_creation_5m_tokens = fields.Integer(required=True)
    cache_creation_1h_tokens = fields.Integer(required=True)
    cache_read_input_tokens = fields.Integer(required=True)
    total_tokens = fields.Integer(required=True)
    cost_micro_usd = fields.Integer(required=True)
    cost_usd = fields.String(required=True)
    last_request_at = fields.DateTime(required=True, allow_none=True)


class CliMachineSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    passthrough = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "revoked"]))
    token_prefix = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, allow_none=True)
    token_rotated_at = fields.DateTime(required=True, allow_none=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    last_seen_at = fields.DateTime(required=True, allow_none=True)
    usage = fields.Nested(CliMachineUsageSchema)


class MachineEnvelopeSchema(Schema):
    machine = fields.Nested(CliMachineSchema, required=True)


class IssuedMachineSchema(Schema):
    """A machine with the proxy token minted for it (shown this once) and its ANTHROPIC_BASE_URL."""

    machine = fields.Nested(CliMachineSchema, required=True)
    token = fields.String(required=True)
    base_url = fields.String(required=True)


class UsageWindowBoundsSchema(Schema):
    days = fields.Integer(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)


class MachineListSchema(Schema):
    machines = fields.List(fields.Nested(CliMachineSchema), required=True)
    usage_window = fields.Nested(UsageWindowBoundsSchema, required=True)


class UsageTokenSchema(Schema):
    token = fields.String(required=True)
    usage_url = fields.String(required=True)
    created = fields.Boolean(metadata={"description": "POST /usage-token only: whether it was minted now"})
