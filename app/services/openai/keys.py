"""Self-service sk-hyd- keys, each bound at creation to the model(s) it may call."""
from sqlalchemy import select

from app.extensions import db
from app.models import LlmKey
from app.models.base import utcnow
from app.services.credentials.secrets import LLM_KEY, mint_secret
from app.services.errors import InvalidInput, NotFound
from app.services.openai import catalogue

MAX_LABEL_LENGTH = 120


def _choose_models(user, model_names):
    available = catalogue.models_available_to(user)
    names = ", ".join(m.name for m in available) or "none"
    if not model_names:
        if len(available) == 1:
            return available
        raise InvalidInput(f"choose a model for this key; available: {names}",
                           param="model", fields={"model": [f"Choose one of: {names}."]})
    chosen = []
    by_name = {m.name: m for m in available}
    for name in dict.fromkeys(model_names):
        model = by_name.get(name)
        if model is None:
            raise InvalidInput(f"model {name!r} is not available to this account; available: {names}",
                               param="model", fields={"model": [f"Choose one of: {names}."]})
        chosen.append(model)
    return chosen


def _clean_label(label, models):
    label = (label or "").strip() or ", ".join(m.name for m in models)
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(f"label must be at most {MAX_LABEL_LENGTH} characters",
                           param="label", fields={"label": [f"At most {MAX_LABEL_LENGTH} characters."]})
    return label


def create_llm_key(user, *, model_names=None, label=None):
    """Mint a key bound to `model_names` (default: the user's single available model).

    Returns (key, plaintext). The plaintext is shown to the caller once and never stored.
    """
    models = _choose_models(user, model_names)
    minted = mint_secret(LLM_KEY)
    key = LlmKey(user_id=user.id, label=_clean_label(label, models), key_digest=minted.digest,
                 key_prefix=minted.display_prefix, models=models)
    db.session.add(key)
    db.session.commit()
    return key, minted.token


def list_llm_keys(user):
    """The user's live keys, newest first."""
    return list(db.session.scalars(
        select(LlmKey).where(LlmKey.user_id == user.id, LlmKey.deleted_at.is_(None))
        .order_by(LlmKey.created_at.desc(), LlmKey.id.desc())))


def get_llm_key(user, key_id):
    """One of the user's live keys; NotFound for unknown, deleted and other users' keys alike."""
    key = db.session.get(LlmKey, key_id) if isinstance(key_id, int) else None
    if key is None or key.user_id != user.id or key.deleted_at is not None:
        raise NotFound(f"no LLM key with id {key_id}")
    return key


def rotate_llm_key(user, key_id):
    """Replace a key's secret, keeping its label and models; returns (key, new plaintext)."""
    key = get_llm_key(user, key_id)
    minted = mint_secret(LLM_KEY)
    key.key_digest = minted.digest
    key.key_prefix = minted.display_prefix
    key.rotated_at = utcnow()
    db.session.commit()
    return key, minted.token


def delete_llm_key(user, key_id):
    """Delete a key: it stops working at once; its ledger rows stay."""
    key = get_llm_key(user, key_id)
    key.key_digest = None
    key.deleted_at = utcnow()
    db.session.commit()
    return key
