"""Who may call which model with an sk-hyd- key (SPEC §4 Access).

Every request looks its key up, so this is one query (key, owner and bound models together)
into frozen values rather than ORM objects, which would cost two round
trips and would expire when admission commits. The lookup is the same: by the SHA-256 digest
of the presented secret; rotated and deleted keys no longer have that digest.
"""
from dataclasses import dataclass
from datetime import datetime

from app.services.credentials.secrets import LLM_KEY, bearer_token, digest_secret, has_prefix
from app.services.db.raw_sql import Sql, as_datetime, read_connection
from app.services.errors import NotFound, PermissionDenied, Unauthenticated
from app.services.openai import catalogue
from app.services.quota.pricing import Prices

INVALID_API_KEY = "invalid_api_key"
_KEY_AND_MODELS = Sql(
    "SELECT k.id, k.user_id, u.is_admin, m.id, m.name, m.upstream_base_url, m.upstream_model, "
    "m.upstream_api_key_encrypted, m.input_micro_usd_per_mtok, m.cached_input_micro_usd_per_mtok, "
    "m.output_micro_usd_per_mtok, m.user_allowed, m.created_at "
    "FROM llm_keys k JOIN users u ON u.id = k.user_id "
    "LEFT JOIN llm_key_models km ON km.llm_key_id = k.id LEFT JOIN llm_models m ON m.id = km.model_id "
    "WHERE k.key_digest = :digest ORDER BY m.name")


@dataclass(frozen=True)
class ModelTarget:
    """A catalogue model as the relay needs it."""

    id: int
    name: str
    upstream_base_url: str
    upstream_model: str
    upstream_api_key_encrypted: str | None
    prices: Prices
    user_allowed: bool
    created_at: datetime


@dataclass(frozen=True)
class KeyContext:
    """An authenticated sk-hyd- key: its owner and the models it is bound to."""

    key_id: int
    user_id: int
    is_admin: bool
    models: tuple

    def may_use(self, model):
        """The catalogue rule for this key's owner (admins: any model; others: user-allowed ones)."""
        return catalogue.model_may_be_used_by(model, self)


def _target(row):
    (model_id, name, base_url, upstream_model, key_encrypted, input_price, cached_price, output_price,
     user_allowed, created_at) = row
    return ModelTarget(id=model_id, name=name, upstream_base_url=base_url, upstream_model=upstream_model,
                       upstream_api_key_encrypted=key_encrypted,
                       prices=Prices(input_price, cached_price, output_price),
                       user_allowed=bool(user_allowed), created_at=as_datetime(created_at))


def authenticate(authorization):
    """The KeyContext for an Authorization header; Unauthenticated (401) for anything else."""
    token = bearer_token(authorization)
    if token is None:
        raise Unauthenticated("You didn't provide an API key. Send it as 'Authorization: Bearer sk-hyd-...'.",
                              code=INVALID_API_KEY)
    rows = []
    if has_prefix(token, LLM_KEY):
        with read_connection() as sql:
            rows = sql.all(_KEY_AND_MODELS, digest=digest_secret(token))
    if not rows:
        raise Unauthenticated("Incorrect API key provided: it is unknown, rotated or deleted.",
                              code=INVALID_API_KEY)
    key_id, user_id, is_admin = rows[0][:3]
    return KeyContext(key_id=key_id, user_id=user_id, is_admin=bool(is_admin),
                      models=tuple(_target(row[3:]) for row in rows if row[3] is not None))


def callable_models(ctx):
    """The models this key may call: bound to it and allowed for its owner."""
    return [m for m in ctx.models if ctx.may_use(m)]


def resolve_model(ctx, name):
    """The target for a requested model id: 404 when the key is not bound to it, 403 when the
    owner may not use it."""
    for model in ctx.models:
        if model.name == name:
            if not ctx.may_use(model):
                raise PermissionDenied(f"This key's owner may not use the model '{name}'.",
                                       code="model_not_allowed", param="model")
            return model
    raise NotFound(f"The model '{name}' does not exist or this key is not bound to it.",
                   code="model_not_found", param="model")
