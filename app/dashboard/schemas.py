"""Marshmallow schemas for every dashboard input, JSON bodies and HTML forms alike.

Money and hep tokens are decimal strings (or JSON numbers) with at most 6 decimal places,
loaded as integer millionths; nothing here ever becomes a float.
"""
from datetime import timezone
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.services.errors import InvalidInput
from app.services.money import MICRO, parse_micro
from app.services.db.text import fields_with_nul

# A sanity bound: a billion dollars or tokens still fits a BIGINT of millionths with room to spare.
MAX_AMOUNT = 1_000_000_000


class MicroAmount(fields.Field):
    """A non-negative decimal amount (string or number) loaded as integer millionths."""

    default_error_messages = {
        "invalid": "Must be a non-negative number with at most 6 decimal places.",
        "too_large": f"Must be at most {MAX_AMOUNT:,}.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise self.make_error("invalid")
        try:
            micro = parse_micro(value)
        except ValueError:
            raise self.make_error("invalid") from None
        if micro > MAX_AMOUNT * MICRO:
            raise self.make_error("too_large")
        return micro


class StrictBoolean(fields.Boolean):
    """JSON true/false, plus the strings an HTML form sends ("on", "true", "1", "off", ...); not 0/1 numbers."""

    form_values = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in self.form_values:
            return self.form_values[value.lower()]
        raise self.make_error("invalid", input=value)


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time (UTC when it names no zone) loaded as naive UTC, as the database keeps it."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _text(max_length, *, required=False, allow_none=False):
    return fields.String(required=required, allow_none=allow_none,
                         validate=validate.Length(max=max_length))


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class AccountUpdateSchema(Schema):
    overage_enabled = StrictBoolean()
    overage_cap_usd = MicroAmount()


class UsageTokenActionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(["reveal", "rotate"]))


class AccessKeyActionSchema(UsageTokenActionSchema):
    """{"action": "reveal" | "rotate"} for the skills access key, exactly as for the usage token."""


class MachineCreateSchema(Schema):
    name = _text(120, required=True)
    passthrough = StrictBoolean(load_default=False)


class MachineUpdateSchema(Schema):
    passthrough = StrictBoolean(required=True)


class LlmKeyCreateSchema(Schema):
    label = _text(120, allow_none=True)
    model = _text(128, allow_none=True)


class PooledAccountCreateSchema(Schema):
    label = _text(120, required=True)
    api_key = _text(4096, allow_none=True)
    oauth_access_token = _text(4096, allow_none=True)
    oauth_refresh_token = _text(4096, allow_none=True)
    oauth_expires_at = UtcDateTime(allow_none=True, default_timezone=timezone.utc)

    @validates_schema
    def _one_credential(self, data, **kwargs):
        api_key, access = data.get("api_key"), data.get("oauth_access_token")
        if bool(api_key) == bool(access):
            raise ValidationError("Give exactly one of api_key or oauth_access_token.", "api_key")
        if api_key and (data.get("oauth_refresh_token") or data.get("oauth_expires_at")):
            raise ValidationError("Only goes with an OAuth access token.", "oauth_refresh_token")


class PooledAccountUpdateSchema(Schema):
    disabled = StrictBoolean(required=True)


class ModelCreateSchema(Schema):
    id = _text(128, required=True)
    upstream_url = _text(512, required=True)
    upstream_model = _text(256, allow_none=True)
    upstream_api_key = _text(4096, allow_none=True)
    input_usd_per_mtok = MicroAmount(required=True)
    output_usd_per_mtok = MicroAmount(required=True)
    cached_input_usd_per_mtok = MicroAmount(allow_none=True)
    user_allowed = StrictBoolean(load_default=False)


class ModelUpdateSchema(Schema):
    upstream_url = _text(512)
    upstream_model = _text(256)
    # null clears the key / the cached price; leaving the field out keeps it.
    upstream_api_key = _text(4096, allow_none=True)
    input_usd_per_mtok = MicroAmount()
    output_usd_per_mtok = MicroAmount()
    cached_input_usd_per_mtok = MicroAmount(allow_none=True)
    user_allowed = StrictBoolean()


class UserCreateSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    is_admin = StrictBoolean(load_default=False)
    cap_usd = MicroAmount(allow_none=True)


class UserUpdateSchema(Schema):
    cap_usd = MicroAmount()
    overage_enabled = StrictBoolean()
    overage_cap_usd = MicroAmount()
    hep_tokens = MicroAmount()
    is_admin = StrictBoolean()


def _summary(messages):
    parts = []
    for name, problems in messages.items():
        text = "; ".join(problems) if isinstance(problems, list) else str(problems)
        parts.append(text if name == "_schema" else f"{name}: {text}")
    return "Invalid input: " + " ".join(parts)


def load(schema, data):
    """Validate `data` with `schema`; InvalidInput with per-field messages when it does not fit."""
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    if nul := fields_with_nul(data):
        raise InvalidInput(_summary(nul), fields=nul)
    try:
        return schema.load(data)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise InvalidInput(_summary(messages), fields=messages) from None
