"""Marshmallow schemas of the usage API's responses (the pool's cached usage), for /openapi.json.

The same snapshot is served by the CLI API (/api/v1/ai/cli/usage) and the dashboard
(/api/v1/ai/accounts); the bodies are built by app.services.usage_cache and usage_reports.
"""
from marshmallow import Schema, fields, validate

_FREE_FORM = {"description": "Whatever the upstream reported, as cached (free-form), or null"}


class UsageWindowSchema(Schema):
    """One rate-limit window as cached: utilisation in percent (0-100, may exceed 100)."""

    class Meta:
        # Windows may carry further upstream fields next to the ones every source fills in.
        unknown = "include"

    utilization_percent = fields.Float(allow_none=True)
    resets_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    status = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    observed_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class AccountUsageSchema(Schema):
    """GET /usage/{account_id}: one pooled account's cached usage (never its credentials)."""

    id = fields.Integer(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["api_key", "oauth"]))
    active = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["ok", "rate_limited", "needs_relogin", "disabled"]))
    status_reason = fields.String(required=True, allow_none=True)
    rate_limited_until = fields.DateTime(required=True, allow_none=True)
    fetched_at = fields.DateTime(required=True, allow_none=True)
    windows = fields.Dict(keys=fields.String(), values=fields.Nested(UsageWindowSchema), required=True,
                          metadata={"description": "five_hour, seven_day, seven_day_<scope>, ..."})
    unified = fields.Dict(required=True, allow_none=True, metadata=_FREE_FORM)
    rate_limits = fields.Dict(required=True, allow_none=True, metadata=_FREE_FORM)
    extra_usage = fields.Dict(required=True, allow_none=True, metadata=_FREE_FORM)
    poll = fields.Dict(required=True, allow_none=True,
                       metadata={"description": "The refresher's last attempt at the usage endpoint, or null"})


class PoolUsageSchema(Schema):
    """GET /usage: every pooled account's cached usage; `version` changes exactly when the payload does."""

    version = fields.Integer(required=True)
    fetched_at = fields.DateTime(required=True, allow_none=True)
    accounts = fields.List(fields.Nested(AccountUsageSchema), required=True)


class PreviousAccountSchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True, allow_none=True)


class ActivationSchema(Schema):
    """POST /usage/accounts/{account_id}/activate: the account now active, and which one was before."""

    changed = fields.Boolean(required=True)
    previous = fields.Nested(PreviousAccountSchema, required=True, allow_none=True)
    account = fields.Nested(AccountUsageSchema, required=True)
    version = fields.Integer(required=True)
