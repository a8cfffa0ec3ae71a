"""Admin-only JSON routes: the pool (/api/v1/ai/accounts/...), the model catalogue, users and skills."""
from flask import Blueprint, jsonify
from flask_login import current_user

from app.dashboard import presenters
from app.dashboard.api import json_body
from app.dashboard.schemas import (ModelCreateSchema, ModelUpdateSchema, PooledAccountCreateSchema,
                                   PooledAccountUpdateSchema, UserCreateSchema, UserUpdateSchema, load)
from app.dashboard.security import api_guard
from app.models.base import utcnow
from app.services.openai import catalogue
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services import reports
from app.services.skills import registry as skills
from app.services.quota import window as spend_window
from app.services.accounts import users
from app.services.pool.usage_snapshot import account_snapshot

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/ai")
bp.before_request(api_guard(admin=True))

VIA = "dashboard"


@bp.post("/accounts")
def add_pooled_account():
    """Add a pooled account with an API key or an OAuth token pair (never echoed back)."""
    data = load(PooledAccountCreateSchema(), json_body())
    account = pool.add_pooled_account(
        data["label"], api_key=data.get("api_key"), oauth_access_token=data.get("oauth_access_token"),
        oauth_refresh_token=data.get("oauth_refresh_token"),
        oauth_expires_at=data.get("oauth_expires_at"),
        actor_user_id=current_user.id, via=VIA)
    return jsonify(account_snapshot(account)), 201


@bp.patch("/accounts/<id:account_id>")
def update_pooled_account(account_id):
    """Disable or re-enable an account (the active one cannot be disabled)."""
    data = load(PooledAccountUpdateSchema(), json_body())
    account = pool.set_pooled_account_disabled(account_id, data["disabled"], actor_user_id=current_user.id, via=VIA)
    return jsonify(account_snapshot(account))


@bp.post("/accounts/<id:account_id>/activate")
def activate_pooled_account(account_id):
    """Make an account the globally active one (recorded with who did it)."""
    account = pool_active.activate_pooled_account(account_id, actor_user_id=current_user.id, via=VIA)
    return jsonify(account_snapshot(account))


@bp.delete("/accounts/<id:account_id>")
def remove_pooled_account(account_id):
    """Remove an account and its credentials; the next healthy one takes over if it was active."""
    pool.remove_pooled_account(account_id, actor_user_id=current_user.id, via=VIA)
    return jsonify(id=account_id, deleted=True)


@bp.get("/admin/models")
def list_models():
    """The whole catalogue with upstream details (never the upstream key)."""
    return jsonify(models=[presenters.model_json(m, admin=True) for m in catalogue.list_models()])


@bp.post("/admin/models")
def add_model():
    """Add a model to the catalogue."""
    data = load(ModelCreateSchema(), json_body())
    model = catalogue.add_model(
        data["id"].strip(), upstream_url=data["upstream_url"], upstream_model=data.get("upstream_model"),
        upstream_api_key=data.get("upstream_api_key"),
        input_micro_usd_per_mtok=data["input_usd_per_mtok"], output_micro_usd_per_mtok=data["output_usd_per_mtok"],
        cached_input_micro_usd_per_mtok=data.get("cached_input_usd_per_mtok"), user_allowed=data["user_allowed"])
    return jsonify(presenters.model_json(model, admin=True)), 201


_MODEL_UPDATES = {
    "upstream_url": "upstream_url", "upstream_model": "upstream_model", "upstream_api_key": "upstream_api_key",
    "input_usd_per_mtok": "input_micro_usd_per_mtok", "output_usd_per_mtok": "output_micro_usd_per_mtok",
    "cached_input_usd_per_mtok": "cached_input_micro_usd_per_mtok", "user_allowed": "user_allowed",
}


@bp.patch("/admin/models/<path:name>")
def update_model(name):
    """Change a model's upstream, prices or user access; fields left out keep their value."""
    data = load(ModelUpdateSchema(), json_body())
    model = catalogue.update_model(name, **{_MODEL_UPDATES[k]: v for k, v in data.items()})
    return jsonify(presenters.model_json(model, admin=True))


@bp.delete("/admin/models/<path:name>")
def remove_model(name):
    """Remove a model; keys lose the binding, ledger rows keep its name."""
    catalogue.remove_model(name)
    return jsonify(id=name, deleted=True)


@bp.get("/admin/users")
def list_users():
    """Every user with settings, balance and spend in the window."""
    spent = reports.window_spend_by_user(utcnow())
    return jsonify(window_days=spend_window.WINDOW.days,
                   users=[presenters.user_json(u, spent.get(u.id, 0)) for u in users.list_users()])


@bp.post("/admin/users")
def create_user():
    """Create a user; their ccas_ account key is in this response only."""
    data = load(UserCreateSchema(), json_body())
    user, account_key = users.create_user(data["email"], data["password"], is_admin=data["is_admin"],
                                          cap_micro_usd=data.get("cap_usd"))
    return jsonify(presenters.user_json(user) | {"account_key": account_key}), 201


@bp.patch("/admin/users/<id:user_id>")
def update_user(user_id):
    """Set a user's cap, overage settings, hep-token balance or admin flag."""
    data = load(UserUpdateSchema(), json_body())
    user = users.update_user_settings(
        current_user, user_id, cap_micro_usd=data.get("cap_usd"), overage_enabled=data.get("overage_enabled"),
        overage_cap_micro_usd=data.get("overage_cap_usd"), hep_token_balance_micro=data.get("hep_tokens"),
        is_admin=data.get("is_admin"))
    spent = spend_window.window_spend(user.id, utcnow()).spend_micro_usd
    return jsonify(presenters.user_json(user, spent))


@bp.get("/admin/skills")
def list_skills():
    """Every user's skills with their owners, by name then owner."""
    return jsonify(skills=[presenters.admin_skill_json(s) for s in skills.list_all_skills()])


@bp.post("/admin/skills/<id:skill_id>/publish")
def publish_skill(skill_id):
    """Make that skill public at /skills/<name>; 409 while another user's skill holds the name."""
    skill, changed = skills.publish_skill_by_id(skill_id)
    return jsonify(presenters.admin_skill_json(skill) | {"changed": changed})


@bp.post("/admin/skills/<id:skill_id>/unpublish")
def unpublish_skill(skill_id):
    """Make that skill private again; its owner keeps it."""
    skill, changed = skills.unpublish_skill_by_id(skill_id)
    return jsonify(presenters.admin_skill_json(skill) | {"changed": changed})
