"""JSON shapes of the dashboard API.

Money is a decimal string of US dollars (`"12.5"`, exact, never a float) in fields ending
in `_usd`; hep tokens are decimal strings too. Times are ISO 8601 UTC with a Z. Secrets
appear only in the response of the call that created, rotated or revealed them.
"""
from app.services.money import format_micro
from app.services.quota.window import WINDOW
from app.services.timestamps import iso
from app.skills.urls import capability_url, shared_public_skill_url

WINDOW_DAYS = WINDOW.days


def account_json(user, summary):
    """GET /api/v1/ai/account: profile, cap, spend in the window, overage, hep tokens, key prefix."""
    account = user.ai_account
    return {
        "id": user.id,
        "email": user.email,
        "is_admin": bool(user.is_admin),
        "created_at": iso(user.created_at),
        "account_key_prefix": account.key_prefix if account else None,
        "account_key_rotated_at": iso(account.rotated_at) if account else None,
        "window_days": WINDOW_DAYS,
        "window_start": iso(summary.window_start),
        "cap_usd": format_micro(summary.cap_micro_usd),
        "spent_usd": format_micro(summary.spent_micro_usd),
        "remaining_usd": format_micro(summary.remaining_micro_usd),
        "in_flight_usd": format_micro(summary.in_flight_micro_usd),
        "overage": {
            "enabled": bool(summary.overage_enabled),
            "cap_usd": format_micro(summary.overage_cap_micro_usd),
            "spent_usd": format_micro(summary.overage_micro_usd),
            "remaining_usd": format_micro(summary.overage_remaining_micro_usd),
        },
        "hep_tokens": format_micro(summary.hep_token_balance_micro),
        "hep_tokens_per_usd": format_micro(int(summary.hep_tokens_per_usd * 1_000_000)),
        "hep_tokens_value_usd": format_micro(summary.hep_tokens_usd_value_micro),
    }


def usage_token_json(row, token=None):
    """Whether a usage token exists, its display prefix and times; `token` only when just shown."""
    body = {
        "exists": row is not None,
        "prefix": row.token_prefix if row else None,
        "created_at": iso(row.created_at) if row else None,
        "rotated_at": iso(row.rotated_at) if row else None,
    }
    if token is not None:
        body["token"] = token
    return body


def access_key_json(row, key=None):
    """Whether a skills access key exists, its display prefix and times; the key and its capability
    URL only when just revealed or rotated."""
    body = {
        "exists": row is not None,
        "prefix": row.key_prefix if row else None,
        "created_at": iso(row.created_at) if row else None,
        "rotated_at": iso(row.rotated_at) if row else None,
    }
    if key is not None:
        body["access_key"] = key
        body["url"] = capability_url(key)
    return body


def skill_json(skill):
    """One skill without its content; `public_url` only when published (a private URL holds the key)."""
    body = {
        "id": skill.id,
        "name": skill.name,
        "description": skill.description,
        "size": skill.size_bytes,
        "etag": f'"{skill.etag}"',
        "public": bool(skill.is_public),
        "created_at": iso(skill.created_at),
        "updated_at": iso(skill.updated_at),
        "published_at": iso(skill.published_at),
    }
    if skill.is_public:
        body["public_url"] = shared_public_skill_url(skill.name)
    return body


def admin_skill_json(skill):
    """A skill as admins see it: with its owner."""
    return skill_json(skill) | {"owner": {"id": skill.owner.id, "email": skill.owner.email}}


def machine_json(usage, token=None):
    """One machine with its usage over the window; `token` only right after create/rotate."""
    machine = usage.machine
    body = {
        "id": machine.id,
        "name": machine.name,
        "passthrough": bool(machine.passthrough),
        "revoked": machine.is_revoked,
        "token_prefix": None if machine.is_revoked else machine.token_prefix,
        "created_at": iso(machine.created_at),
        "token_rotated_at": iso(machine.token_rotated_at),
        "revoked_at": iso(machine.revoked_at),
        "last_seen_at": iso(usage.last_seen_at),
        "usage": {
            "requests": usage.requests,
            "tokens": dict(usage.tokens),
            "api_equivalent_usd": format_micro(usage.cost_micro_usd),
        },
    }
    if token is not None:
        body["token"] = token
    return body


def llm_key_json(key, secret=None):
    """One LLM key with its display prefix and models; `key` only right after create/rotate."""
    body = {
        "id": key.id,
        "label": key.label,
        "prefix": key.key_prefix,
        "models": [model.name for model in key.models],
        "created_at": iso(key.created_at),
        "rotated_at": iso(key.rotated_at),
    }
    if secret is not None:
        body["key"] = secret
    return body


def model_json(model, *, admin=False):
    """A catalogue model: prices for everyone, upstream details only for admins (never its key)."""
    body = {
        "id": model.name,
        "user_allowed": bool(model.user_allowed),
        "input_usd_per_mtok": format_micro(model.input_micro_usd_per_mtok),
        "cached_input_usd_per_mtok": (None if model.cached_input_micro_usd_per_mtok is None
                                      else format_micro(model.cached_input_micro_usd_per_mtok)),
        "output_usd_per_mtok": format_micro(model.output_micro_usd_per_mtok),
    }
    if admin:
        body.update({
            "upstream_url": model.upstream_base_url,
            "upstream_model": model.upstream_model,
            "has_upstream_api_key": model.upstream_api_key_encrypted is not None,
            "created_at": iso(model.created_at),
        })
    return body


def user_json(user, spent_micro_usd=0):
    """A user as admins see them: settings, balance and spend in the window."""
    return {
        "id": user.id,
        "email": user.email,
        "is_admin": bool(user.is_admin),
        "created_at": iso(user.created_at),
        "cap_usd": format_micro(user.cap_micro_usd),
        "spent_usd": format_micro(spent_micro_usd),
        "overage_enabled": bool(user.overage_enabled),
        "overage_cap_usd": format_micro(user.overage_cap_micro_usd),
        "hep_tokens": format_micro(user.hep_token_balance_micro),
    }
