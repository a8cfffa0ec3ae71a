"""The OpenAI-side model catalogue: which models exist, where they are served, what they cost."""
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import LlmModel
from app.services.credentials import crypto
from app.services.errors import Conflict, InvalidInput, NotFound

MODEL_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")


def _validate_name(name):
    if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"model id {name!r} is not valid: use 1-128 letters, digits and . _ : / @ + -",
            fields={"id": ["Invalid model id."]})


def _clean_upstream_url(url):
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"upstream URL must be an http(s) URL, got {url!r}",
                           fields={"upstream_url": ["Must be an http(s) URL."]})
    if parts.query or parts.fragment:
        raise InvalidInput("upstream URL must not carry a query or fragment",
                           fields={"upstream_url": ["Must not carry a query or fragment."]})
    return url


def _clean_api_key(value):
    """The upstream key as it will be sent (a bearer header): printable ASCII, or None for no key."""
    value = (value or "").strip()
    if not value:
        return None
    if not all("!" <= ch <= "~" for ch in value):
        raise InvalidInput("upstream API key must be printable ASCII without spaces",
                           fields={"upstream_api_key": ["Must be printable ASCII without spaces."]})
    return value


def _encrypted_key(value):
    key = _clean_api_key(value)
    return crypto.encrypt(key) if key else None


def _check_price(value, name):
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise InvalidInput(f"{name} must be a non-negative amount", fields={name: ["Must not be negative."]})


def add_model(name, *, upstream_url, input_micro_usd_per_mtok, output_micro_usd_per_mtok,
              upstream_model=None, upstream_api_key=None, cached_input_micro_usd_per_mtok=None,
              user_allowed=False):
    """Add a model to the catalogue; upstream_model defaults to the public id."""
    _validate_name(name)
    _check_price(input_micro_usd_per_mtok, "input_price")
    _check_price(output_micro_usd_per_mtok, "output_price")
    _check_price(cached_input_micro_usd_per_mtok, "cached_input_price")
    if find_model(name) is not None:
        raise Conflict(f"model {name} already exists")
    upstream_model = (upstream_model or name).strip()
    if not upstream_model:
        raise InvalidInput("upstream model name must not be empty")
    model = LlmModel(
        name=name,
        upstream_base_url=_clean_upstream_url(upstream_url),
        upstream_model=upstream_model,
        upstream_api_key_encrypted=_encrypted_key(upstream_api_key),
        input_micro_usd_per_mtok=input_micro_usd_per_mtok,
        cached_input_micro_usd_per_mtok=cached_input_micro_usd_per_mtok,
        output_micro_usd_per_mtok=output_micro_usd_per_mtok,
        user_allowed=bool(user_allowed),
    )
    db.session.add(model)
    db.session.commit()
    return model


_UNSET = object()


def update_model(name, *, upstream_url=None, upstream_model=None, upstream_api_key=_UNSET,
                 input_micro_usd_per_mtok=None, output_micro_usd_per_mtok=None,
                 cached_input_micro_usd_per_mtok=_UNSET, user_allowed=None):
    """Change a model's settings; arguments left out keep their value (None clears a key/price)."""
    model = get_model(name)
    if upstream_url is not None:
        model.upstream_base_url = _clean_upstream_url(upstream_url)
    if upstream_model is not None:
        if not upstream_model.strip():
            raise InvalidInput("upstream model name must not be empty")
        model.upstream_model = upstream_model.strip()
    if upstream_api_key is not _UNSET:
        model.upstream_api_key_encrypted = _encrypted_key(upstream_api_key)
    for value, attr in ((input_micro_usd_per_mtok, "input_micro_usd_per_mtok"),
                        (output_micro_usd_per_mtok, "output_micro_usd_per_mtok")):
        if value is not None:
            _check_price(value, attr)
            setattr(model, attr, value)
    if cached_input_micro_usd_per_mtok is not _UNSET:
        _check_price(cached_input_micro_usd_per_mtok, "cached_input_price")
        model.cached_input_micro_usd_per_mtok = cached_input_micro_usd_per_mtok
    if user_allowed is not None:
        model.user_allowed = bool(user_allowed)
    db.session.commit()
    return model


def remove_model(name):
    """Delete a model; keys lose the binding, ledger rows keep its name."""
    model = get_model(name)
    db.session.delete(model)
    db.session.commit()


def list_models():
    """Every model in the catalogue, by id."""
    return list(db.session.scalars(select(LlmModel).order_by(LlmModel.name)))


def find_model(name):
    """The model with this public id, or None (without a query for a name no model can have)."""
    if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
        return None
    return db.session.scalar(select(LlmModel).where(LlmModel.name == name))


def get_model(name):
    """The model with this public id; NotFound otherwise."""
    model = find_model(name)
    if model is None:
        raise NotFound(f"no model {name!r} in the catalogue")
    return model


def models_available_to(user):
    """Models a user may call: all of them for admins, the user-allowed ones otherwise."""
    query = select(LlmModel).order_by(LlmModel.name)
    if not user.is_admin:
        query = query.where(LlmModel.user_allowed.is_(True))
    return list(db.session.scalars(query))


def model_may_be_used_by(model, user):
    """The catalogue rule: admins may use any model, others only user-allowed ones."""
    return user.is_admin or model.user_allowed


def upstream_api_key(model):
    """The model's decrypted upstream credential, or None."""
    return crypto.decrypt(model.upstream_api_key_encrypted) if model.upstream_api_key_encrypted else None
