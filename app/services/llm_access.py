"""Who may call which model with an sk-hyd- key (SPEC §4 Access).

The key and its models are copied into frozen values at once: admission commits the session,
which would expire ORM objects and cost a reload per attribute on the hot path.
"""
from dataclasses import dataclass
from datetime import datetime

from app.services import catalogue, llm_keys
from app.services.errors import NotFound, PermissionDenied, Unauthenticated
from app.services.pricing import Prices

INVALID_API_KEY = "invalid_api_key"


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


def _target(model):
    return ModelTarget(
        id=model.id, name=model.name, upstream_base_url=model.upstream_base_url,
        upstream_model=model.upstream_model, upstream_api_key_encrypted=model.upstream_api_key_encrypted,
        prices=Prices(model.input_micro_usd_per_mtok, model.cached_input_micro_usd_per_mtok,
                      model.output_micro_usd_per_mtok),
        user_allowed=model.user_allowed, created_at=model.created_at)


def bearer_token(authorization):
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(authorization):
    """The KeyContext for an Authorization header; Unauthenticated (401) for anything else."""
    token = bearer_token(authorization)
    if token is None:
        raise Unauthenticated("You didn't provide an API key. Send it as 'Authorization: Bearer sk-hyd-...'.",
                              code=INVALID_API_KEY)
    key = llm_keys.key_for_token(token)
    if key is None:
        raise Unauthenticated("Incorrect API key provided: it is unknown, rotated or deleted.",
                              code=INVALID_API_KEY)
    return KeyContext(key_id=key.id, user_id=key.user_id, is_admin=bool(key.user.is_admin),
                      models=tuple(_target(m) for m in key.models))


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
