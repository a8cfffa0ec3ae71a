"""Admin pages under /dashboard/admin: the pool, the model catalogue, users and skills."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from app.dashboard.admin_api import VIA
from app.dashboard.pages import back, form_data
from app.dashboard.schemas import (ModelCreateSchema, ModelUpdateSchema, PooledAccountCreateSchema,
                                   UserCreateSchema, UserUpdateSchema, load)
from app.dashboard.security import page_guard
from app.models.base import utcnow
from app.services.openai import catalogue
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from app.services import reports
from app.services.skills import registry as skills
from app.services.accounts import users
from app.services.errors import Conflict, InvalidInput
from app.services.pool.usage_snapshot import account_snapshot
from app.skills.urls import shared_public_skill_url

bp = Blueprint("admin_pages", __name__, url_prefix="/dashboard/admin")
bp.before_request(page_guard(admin=True))


def _render_pool(status=200, **extra):
    accounts = [account_snapshot(a) for a in pool.list_pooled_accounts()]
    return render_template("dashboard/admin_pool.html", accounts=accounts, form=request.form, **extra), status


@bp.get("/pool")
def pool_page():
    """Every pooled account with its state, and a form to add one."""
    return _render_pool()


@bp.post("/pool")
def add_pooled_account():
    """Add an account with an API key or an OAuth token pair."""
    kind = request.form.get("kind", "api_key")
    names = ["label", "api_key"] if kind == "api_key" else [
        "label", "oauth_access_token", "oauth_refresh_token", "oauth_expires_at"]
    try:
        data = load(PooledAccountCreateSchema(), form_data(*names))
        account = pool.add_pooled_account(
            data["label"], api_key=data.get("api_key"), oauth_access_token=data.get("oauth_access_token"),
            oauth_refresh_token=data.get("oauth_refresh_token"), oauth_expires_at=data.get("oauth_expires_at"),
            actor_user_id=current_user.id, via=VIA)
    except (InvalidInput, Conflict) as exc:
        return _render_pool(400 if isinstance(exc, InvalidInput) else 409,
                            add_errors=exc.fields or {"label": [exc.message]})
    return back(".pool_page", f"Added {account.label}{' (active)' if account.is_active else ''}.")


@bp.post("/pool/<id:account_id>/activate")
def activate_pooled_account(account_id):
    """Make an account the globally active one."""
    try:
        account = pool_active.activate_pooled_account(account_id, actor_user_id=current_user.id, via=VIA)
    except Conflict as exc:
        return back(".pool_page", exc.message, "error")
    return back(".pool_page", f"{account.label} is now the active account.")


@bp.post("/pool/<id:account_id>/disable")
def toggle_pooled_account(account_id):
    """Take an account out of service, or put it back."""
    account = pool.get_pooled_account(account_id)
    try:
        account = pool.set_pooled_account_disabled(account_id, not account.disabled,
                                                   actor_user_id=current_user.id, via=VIA)
    except Conflict as exc:
        return back(".pool_page", exc.message, "error")
    return back(".pool_page", f"{account.label} is {'disabled' if account.disabled else 'enabled'}.")


@bp.route("/pool/<id:account_id>/remove", methods=["GET", "POST"])
def remove_pooled_account(account_id):
    """Ask, then remove an account and its credentials."""
    account = pool.get_pooled_account(account_id)
    if request.method == "GET":
        return render_template(
            "dashboard/confirm.html", title=f"Remove pooled account {account.label}?", action_label="Remove account",
            explanation="Its credentials are deleted. If it is active, the next healthy account takes over.",
            cancel=".pool_page")
    label = account.label
    pool.remove_pooled_account(account_id, actor_user_id=current_user.id, via=VIA)
    return back(".pool_page", f"Removed {label}.")


MODEL_FIELDS = ("upstream_url", "upstream_model", "input_usd_per_mtok", "output_usd_per_mtok",
                "cached_input_usd_per_mtok")


def _render_models(status=200, **extra):
    return render_template("dashboard/admin_models.html", models=catalogue.list_models(), form=request.form,
                           **extra), status


@bp.get("/models")
def models_page():
    """The model catalogue, and a form to add a model."""
    return _render_models()


@bp.post("/models")
def add_model():
    """Add a model to the catalogue."""
    try:
        data = load(ModelCreateSchema(), form_data("id", "upstream_api_key", *MODEL_FIELDS,
                                                   checkboxes=["user_allowed"]))
        model = catalogue.add_model(
            data["id"], upstream_url=data["upstream_url"], upstream_model=data.get("upstream_model"),
            upstream_api_key=data.get("upstream_api_key"), input_micro_usd_per_mtok=data["input_usd_per_mtok"],
            output_micro_usd_per_mtok=data["output_usd_per_mtok"],
            cached_input_micro_usd_per_mtok=data.get("cached_input_usd_per_mtok"), user_allowed=data["user_allowed"])
    except (InvalidInput, Conflict) as exc:
        return _render_models(400 if isinstance(exc, InvalidInput) else 409,
                              add_errors=exc.fields or {"id": [exc.message]})
    return back(".models_page", f"Added model {model.name}.")


@bp.route("/models/<path:name>/edit", methods=["GET", "POST"])
def edit_model(name):
    """Change a model's upstream, prices and whether non-admins may use it."""
    model = catalogue.get_model(name)
    if request.method == "GET":
        return render_template("dashboard/admin_model_edit.html", model=model, form=None)
    try:
        data = load(ModelUpdateSchema(), form_data("upstream_api_key", *MODEL_FIELDS, checkboxes=["user_allowed"]))
        changes = {
            "upstream_url": data.get("upstream_url"), "upstream_model": data.get("upstream_model"),
            "input_micro_usd_per_mtok": data.get("input_usd_per_mtok"),
            "output_micro_usd_per_mtok": data.get("output_usd_per_mtok"),
            # A blank cached price means "no separate cached price".
            "cached_input_micro_usd_per_mtok": data.get("cached_input_usd_per_mtok"),
            "user_allowed": data["user_allowed"],
        }
        if "clear_upstream_api_key" in request.form:
            changes["upstream_api_key"] = None
        elif data.get("upstream_api_key"):
            changes["upstream_api_key"] = data["upstream_api_key"]
        catalogue.update_model(name, **changes)
    except InvalidInput as exc:
        return render_template("dashboard/admin_model_edit.html", model=model, form=request.form,
                               errors=exc.fields or {"upstream_url": [exc.message]}), 400
    return back(".models_page", f"Saved model {name}.")


@bp.route("/models/<path:name>/remove", methods=["GET", "POST"])
def remove_model(name):
    """Ask, then remove a model from the catalogue."""
    model = catalogue.get_model(name)
    if request.method == "GET":
        return render_template(
            "dashboard/confirm.html", title=f"Remove model {model.name}?", action_label="Remove model",
            explanation="Keys bound to it lose it at once; past requests keep its name.", cancel=".models_page")
    catalogue.remove_model(name)
    return back(".models_page", f"Removed model {name}.")


def _render_users(status=200, **extra):
    return render_template("dashboard/admin_users.html", users=users.list_users(),
                           spent=reports.window_spend_by_user(utcnow()), form=request.form, **extra), status


@bp.get("/users")
def users_page():
    """Every user with cap, spend in the window, overage and hep tokens; a form to add one."""
    return _render_users()


@bp.post("/users")
def create_user():
    """Create a user and show their ccas_ account key once."""
    try:
        data = load(UserCreateSchema(), form_data("email", "password", "cap_usd", checkboxes=["is_admin"]))
        user, account_key = users.create_user(data["email"], data["password"], is_admin=data["is_admin"],
                                              cap_micro_usd=data.get("cap_usd"))
    except (InvalidInput, Conflict) as exc:
        return _render_users(400 if isinstance(exc, InvalidInput) else 409,
                             create_errors=exc.fields or {"email": [exc.message]})
    return _render_users(secret={"kind": "account key", "name": user.email, "value": account_key})


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    """Set a user's cap, overage settings, hep-token balance and admin flag."""
    user = users.get_user(user_id)
    if request.method == "GET":
        return render_template("dashboard/admin_user_edit.html", user=user, form=None)
    try:
        data = load(UserUpdateSchema(), form_data("cap_usd", "overage_cap_usd", "hep_tokens",
                                                  checkboxes=["overage_enabled", "is_admin"]))
        users.update_user_settings(
            current_user, user_id, cap_micro_usd=data.get("cap_usd"), overage_enabled=data["overage_enabled"],
            overage_cap_micro_usd=data.get("overage_cap_usd"), hep_token_balance_micro=data.get("hep_tokens"),
            is_admin=data["is_admin"])
    except (InvalidInput, Conflict) as exc:
        return render_template("dashboard/admin_user_edit.html", user=user, form=request.form,
                               errors=exc.fields or {"cap_usd": [exc.message]}), exc.status
    return back(".users_page", f"Saved {user.email}.")


@bp.get("/skills")
def skills_page():
    """Every user's skills with owner and visibility, and publish / unpublish buttons."""
    return render_template("dashboard/admin_skills.html", skills=skills.list_all_skills(),
                           public_url=shared_public_skill_url)


@bp.post("/skills/<id:skill_id>/publish")
def publish_skill(skill_id):
    """Make that skill public at /skills/<name> (refused while another user's skill holds the name)."""
    try:
        skill, changed = skills.publish_skill_by_id(skill_id)
    except Conflict as exc:
        return back(".skills_page", f"Not published: {exc.message}.", "error")
    done = "Published" if changed else "Already public:"
    return back(".skills_page", f"{done} {skill.name} of {skill.owner.email}.")


@bp.post("/skills/<id:skill_id>/unpublish")
def unpublish_skill(skill_id):
    """Make that skill private again; its owner keeps it."""
    skill, changed = skills.unpublish_skill_by_id(skill_id)
    done = "Unpublished" if changed else "Already private:"
    return back(".skills_page", f"{done} {skill.name} of {skill.owner.email}.")
