"""Marshmallow schemas of the dashboard API's responses (app/dashboard/presenters.py), for /openapi.json.

The presenters build the bodies; these schemas only describe them. Money is a decimal string
of US dollars, times are ISO 8601 UTC with a Z, and a secret appears only in the response
of the call that created, rotated or revealed it.
"""
from marshmallow import Schema, fields

USD = {"description": "US dollars as an exact decimal string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
       "example": "12.5"}


def _usd(**kwargs):
    return fields.String(metadata=USD, **kwargs)


def _time(**kwargs):
    return fields.DateTime(allow_none=True, required=True, **kwargs)


class OverageSchema(Schema):
    enabled = fields.Boolean(required=True)
    cap_usd = _usd(required=True)
    spent_usd = _usd(required=True)
    remaining_usd = _usd(required=True)


class AccountSchema(Schema):
    """GET/PATCH /api/v1/ai/account; `account_key` only in the rotate response."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    is_admin = fields.Boolean(required=True)
    created_at = _time()
    account_key_prefix = fields.String(required=True, allow_none=True)
    account_key_rotated_at = _time()
    window_days = fields.Integer(required=True)
    window_start = _time()
    cap_usd = _usd(required=True)
    spent_usd = _usd(required=True)
    remaining_usd = _usd(required=True)
    in_flight_usd = _usd(required=True)
    overage = fields.Nested(OverageSchema, required=True)
    hep_tokens = _usd(required=True)
    hep_tokens_per_usd = _usd(required=True)
    hep_tokens_value_usd = _usd(required=True)
    account_key = fields.String(metadata={"description": "The new ccas_ account key (rotate only)"})


class SignedInSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    is_admin = fields.Boolean(required=True)
    csrf_token = fields.String(required=True)


class CsrfTokenSchema(Schema):
    csrf_token = fields.String(required=True, metadata={"description": "Send back in the X-CSRFToken header"})


class SignedOutSchema(Schema):
    signed_out = fields.Boolean(required=True)


class UsageTokenStatusSchema(Schema):
    exists = fields.Boolean(required=True)
    prefix = fields.String(required=True, allow_none=True)
    created_at = _time()
    rotated_at = _time()
    token = fields.String(metadata={"description": "The usg_ token (reveal/rotate only)"})


class AccessKeyStatusSchema(Schema):
    exists = fields.Boolean(required=True)
    prefix = fields.String(required=True, allow_none=True)
    created_at = _time()
    rotated_at = _time()
    access_key = fields.String(metadata={"description": "The skills access key (reveal/rotate only)"})
    url = fields.String(metadata={"description": "The capability URL (reveal/rotate only)"})


class MachineUsageSchema(Schema):
    requests = fields.Integer(required=True)
    tokens = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    api_equivalent_usd = _usd(required=True)


class MachineSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    passthrough = fields.Boolean(required=True)
    revoked = fields.Boolean(required=True)
    token_prefix = fields.String(required=True, allow_none=True)
    created_at = _time()
    token_rotated_at = _time()
    revoked_at = _time()
    last_seen_at = _time()
    usage = fields.Nested(MachineUsageSchema, required=True)
    token = fields.String(metadata={"description": "The proxy token (create/rotate only)"})


class MachineListSchema(Schema):
    window_days = fields.Integer(required=True)
    window_start = _time()
    machines = fields.List(fields.Nested(MachineSchema), required=True)


class CatalogueModelSchema(Schema):
    """A catalogue model; the upstream fields only for admins, never the upstream key."""

    id = fields.String(required=True)
    user_allowed = fields.Boolean(required=True)
    input_usd_per_mtok = _usd(required=True)
    cached_input_usd_per_mtok = _usd(required=True, allow_none=True)
    output_usd_per_mtok = _usd(required=True)
    upstream_url = fields.String()
    upstream_model = fields.String(allow_none=True)
    has_upstream_api_key = fields.Boolean()
    created_at = fields.DateTime(allow_none=True)


class CatalogueModelListSchema(Schema):
    models = fields.List(fields.Nested(CatalogueModelSchema), required=True)


class LlmKeySchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True, allow_none=True)
    prefix = fields.String(required=True)
    models = fields.List(fields.String(), required=True)
    created_at = _time()
    rotated_at = _time()
    key = fields.String(metadata={"description": "The sk-hyd- key (create/rotate only)"})


class LlmKeyListSchema(Schema):
    keys = fields.List(fields.Nested(LlmKeySchema), required=True)


class DeletedSchema(Schema):
    id = fields.Raw(required=True, metadata={"description": "The deleted object's id (an integer, or a model id)"})
    deleted = fields.Boolean(required=True)


class SkillDeletedSchema(Schema):
    name = fields.String(required=True)
    deleted = fields.Boolean(required=True)


class SkillSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    size = fields.Integer(required=True)
    etag = fields.String(required=True)
    public = fields.Boolean(required=True)
    created_at = _time()
    updated_at = _time()
    published_at = _time()
    public_url = fields.String()


class SkillOwnerSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)


class AdminSkillSchema(SkillSchema):
    owner = fields.Nested(SkillOwnerSchema, required=True)
    changed = fields.Boolean(metadata={"description": "publish/unpublish only: whether anything changed"})


class SkillListSchema(Schema):
    access_key = fields.Nested(AccessKeyStatusSchema, required=True)
    skills = fields.List(fields.Nested(SkillSchema), required=True)


class AdminSkillListSchema(Schema):
    skills = fields.List(fields.Nested(AdminSkillSchema), required=True)


class UserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    is_admin = fields.Boolean(required=True)
    created_at = _time()
    cap_usd = _usd(required=True)
    spent_usd = _usd(required=True)
    overage_enabled = fields.Boolean(required=True)
    overage_cap_usd = _usd(required=True)
    hep_tokens = _usd(required=True)
    account_key = fields.String(metadata={"description": "The new user's ccas_ account key (create only)"})


class UserListSchema(Schema):
    window_days = fields.Integer(required=True)
    users = fields.List(fields.Nested(UserSchema), required=True)
