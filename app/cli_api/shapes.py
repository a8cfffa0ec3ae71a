"""JSON shapes of the CLI API's objects, and the proxy base URL of a machine."""
from flask import url_for

from app.services.money import format_micro
from app.services.timestamps import iso

def proxy_base_url(token):
    """`<base>/anthropic/<token>`: what ANTHROPIC_BASE_URL must be for a machine.

    Built from the request's own root, so it is right under the /ai mirror and behind
    trusted reverse proxies; no trailing slash, since clients append `/v1/messages`.
    """
    return url_for("proxy.forward", token=token, subpath="", _external=True).rstrip("/")


def usage_api_url():
    """Where the usage API (`Authorization: Bearer usg_...`) is served."""
    return url_for("usage_api.pool_usage", _external=True)


def user_json(user):
    """Who the account key belongs to."""
    return {"id": user.id, "email": user.email, "is_admin": bool(user.is_admin)}


def usage_json(usage):
    """A machine's totals over the rolling window (a reports.MachineUsage)."""
    tokens = usage.tokens
    return {
        "requests": usage.requests,
        "input_tokens": tokens["input"],
        "output_tokens": tokens["output"],
        "cache_creation_input_tokens": tokens["cache_creation"],
        "cache_creation_5m_tokens": tokens["cache_creation_5m"],
        "cache_creation_1h_tokens": tokens["cache_creation_1h"],
        "cache_read_input_tokens": tokens["cache_read"],
        "total_tokens": tokens["input"] + tokens["output"] + tokens["cache_creation"] + tokens["cache_read"],
        "cost_micro_usd": usage.cost_micro_usd,
        "cost_usd": format_micro(usage.cost_micro_usd),
        "last_request_at": iso(usage.last_request_at),
    }


def machine_json(machine, usage=None):
    """A machine without its secret; with its usage when given."""
    body = {
        "id": machine.id,
        "name": machine.name,
        "passthrough": bool(machine.passthrough),
        "status": "revoked" if machine.is_revoked else "active",
        "token_prefix": machine.token_prefix,
        "created_at": iso(machine.created_at),
        "token_rotated_at": iso(machine.token_rotated_at),
        "revoked_at": iso(machine.revoked_at),
        "last_seen_at": iso(usage.last_seen_at if usage is not None else machine.last_seen_at),
    }
    if usage is not None:
        body["usage"] = usage_json(usage)
    return body


def issued_machine_json(machine, token):
    """A machine with the proxy token just minted for it (shown this once) and its base URL."""
    return {"machine": machine_json(machine), "token": token, "base_url": proxy_base_url(token)}
