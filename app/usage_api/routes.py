"""Usage API routes: read the cached usage of the pool or one account, switch the active account."""
import re

from flask import g, jsonify

from app.services.errors import NotFound
from app.services.pool.usage_reads import activate_account_for, read_account_usage, read_pool_usage
from app.usage_api import bp
from app.usage_api.auth import usage_token_required
from app.usage_api.responses import conditional_json

# Ids are positive integers that fit a BIGINT; anything else names no account.
_ACCOUNT_ID_RE = re.compile(r"[0-9]{1,18}")


def _account_id(raw):
    if not _ACCOUNT_ID_RE.fullmatch(raw):
        raise NotFound("no pooled account with that id")
    return int(raw)


@bp.get("/usage")
@usage_token_required
def pool_usage():
    """Every pooled account's cached usage: {"version", "fetched_at", "accounts"}, with ETag / 304."""
    return conditional_json(read_pool_usage())


@bp.get("/usage/<account_id>")
@usage_token_required
def account_usage(account_id):
    """One pooled account's cached usage, with its own ETag."""
    return conditional_json(read_account_usage(_account_id(account_id)))


@bp.post("/usage/accounts/<account_id>/activate")
@usage_token_required
def activate_account(account_id):
    """Make a pooled account the globally active one; the switch is recorded with the caller."""
    response = jsonify(activate_account_for(g.usage_user, _account_id(account_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
