"""The dashboard's JSON API under /api/v1/ai/ for the signed-in user (session cookie + CSRF)."""
from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.dashboard import presenters
from app.dashboard.schemas import (AccessKeyActionSchema, AccountUpdateSchema, LlmKeyCreateSchema, LoginSchema,
                                   MachineCreateSchema, MachineUpdateSchema, UsageTokenActionSchema, load)
from app.dashboard.security import api_guard, public
from app.dashboard.session import end_session, start_session
from app.models.base import utcnow
from app.services.credentials import user_tokens
from app.services.openai import catalogue
from app.services.openai import keys as llm_keys
from app.services.credentials import machines
from app.services.pool import accounts as pool
from app.services import reports
from app.services.accounts import sign_in
from app.services.skills import registry as skills
from app.services.quota import window as spend_window
from app.services.pool import usage_snapshot
from app.services import timestamps
from app.services.accounts import users
from app.services.errors import InvalidInput

bp = Blueprint("api", __name__, url_prefix="/api/v1/ai")
bp.before_request(api_guard())


def json_body():
    """The request's JSON object ({} when the body is empty); InvalidInput for anything else."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return data


@bp.get("/csrf-token")
@public
def csrf_token():
    """The CSRF token for this session: send it back in the X-CSRFToken header."""
    return jsonify(csrf_token=generate_csrf())


@bp.post("/login")
@public
def login():
    """Sign in with email and password; the response sets the session cookie."""
    data = load(LoginSchema(), json_body())
    user = sign_in.sign_in(data["email"], data["password"], request.remote_addr)
    start_session(user)
    return jsonify(id=user.id, email=user.email, is_admin=bool(user.is_admin), csrf_token=generate_csrf())


@bp.post("/logout")
def logout():
    """End the session."""
    end_session()
    return jsonify(signed_out=True)


def _account_response(status=200, **extra):
    body = presenters.account_json(current_user, reports.spend_summary(current_user, utcnow()))
    body.update(extra)
    return jsonify(body), status


@bp.get("/account")
def account():
    """Profile, cap, spend in the window, overage settings, hep-token balance, account key prefix."""
    return _account_response()


@bp.patch("/account")
def update_account():
    """Opt in or out of overage and set the overage cap."""
    data = load(AccountUpdateSchema(), json_body())
    users.update_user(current_user, overage_enabled=data.get("overage_enabled"),
                      overage_cap_micro_usd=data.get("overage_cap_usd"))
    return _account_response()


@bp.post("/account/rotate")
def rotate_account_key():
    """Replace the ccas_ account key; the new key is in this response only."""
    key = user_tokens.rotate_account_key(current_user)
    return _account_response(account_key=key)


@bp.get("/usage-token")
def usage_token():
    """Whether the usage token exists, its prefix and when it was created."""
    return jsonify(presenters.usage_token_json(user_tokens.get_usage_token(current_user)))


@bp.post("/usage-token")
def usage_token_action():
    """{"action": "reveal"} shows the token; {"action": "rotate"} replaces (or first mints) it."""
    data = load(UsageTokenActionSchema(), json_body())
    if data["action"] == "reveal":
        token = user_tokens.reveal_usage_token(current_user)
    else:
        token = user_tokens.rotate_usage_token(current_user)
    return jsonify(presenters.usage_token_json(user_tokens.get_usage_token(current_user), token))


def _machine_response(machine, token=None, status=200):
    usage = reports.usage_of_machine(machine, utcnow())
    return jsonify(presenters.machine_json(usage, token)), status


@bp.get("/machines")
def list_machines():
    """Every machine with requests, tokens by kind and API-equivalent USD over the window."""
    now = utcnow()
    report = reports.machine_usage(current_user, now)
    return jsonify(window_days=presenters.WINDOW_DAYS, window_start=timestamps.iso(spend_window.window_start(now)),
                   machines=[presenters.machine_json(u) for u in report])


@bp.post("/machines")
def create_machine():
    """Create a machine; its proxy token is in this response only."""
    data = load(MachineCreateSchema(), json_body())
    machine, token = machines.create_machine(current_user, data["name"], passthrough=data["passthrough"])
    return _machine_response(machine, token, 201)


@bp.patch("/machines/<id:machine_id>")
def update_machine(machine_id):
    """Switch a machine's passthrough flag."""
    data = load(MachineUpdateSchema(), json_body())
    machine = machines.set_machine_passthrough(current_user, machine_id, data["passthrough"])
    return _machine_response(machine)


@bp.post("/machines/<id:machine_id>/rotate")
def rotate_machine(machine_id):
    """Give a machine a new proxy token (the old one stops working); shown in this response only."""
    machine, token = machines.rotate_machine_token(current_user, machine_id)
    return _machine_response(machine, token)


@bp.post("/machines/<id:machine_id>/revoke")
def revoke_machine(machine_id):
    """Kill a machine's token for good; its usage history stays."""
    machine = machines.revoke_machine(current_user, machine_id)
    return _machine_response(machine)


@bp.get("/models")
def list_models():
    """The models this user may bind an LLM key to."""
    return jsonify(models=[presenters.model_json(m) for m in catalogue.models_available_to(current_user)])


@bp.get("/llm-keys")
def list_llm_keys():
    """The user's LLM keys (display prefixes only)."""
    return jsonify(keys=[presenters.llm_key_json(k) for k in llm_keys.list_llm_keys(current_user)])


@bp.post("/llm-keys")
def create_llm_key():
    """Mint a key {label?, model?}; model defaults to the single allowed one. Shown in this response only."""
    data = load(LlmKeyCreateSchema(), json_body())
    model = (data.get("model") or "").strip()
    key, secret = llm_keys.create_llm_key(current_user, model_names=[model] if model else None,
                                          label=data.get("label"))
    return jsonify(presenters.llm_key_json(key, secret)), 201


@bp.post("/llm-keys/<id:key_id>/rotate")
def rotate_llm_key(key_id):
    """Replace a key's secret, keeping label and models; the new key is in this response only."""
    key, secret = llm_keys.rotate_llm_key(current_user, key_id)
    return jsonify(presenters.llm_key_json(key, secret))


@bp.delete("/llm-keys/<id:key_id>")
def delete_llm_key(key_id):
    """Delete a key: it stops working at once."""
    key = llm_keys.delete_llm_key(current_user, key_id)
    return jsonify(id=key.id, deleted=True)


@bp.get("/accounts")
def pooled_accounts():
    """The pooled Claude accounts with their cached usage and the active flag (every signed-in user)."""
    return jsonify(usage_snapshot.pool_snapshot(pool.list_pooled_accounts()))


@bp.get("/skills")
def list_skills():
    """The skills access key's status (never the key) and the user's skills."""
    return jsonify(access_key=presenters.access_key_json(skills.get_access_key(current_user)),
                   skills=[presenters.skill_json(s) for s in skills.list_user_skills(current_user)])


@bp.get("/skills/access-key")
def skills_access_key():
    """Whether the skills access key exists, its prefix and when it was created or rotated."""
    return jsonify(presenters.access_key_json(skills.get_access_key(current_user)))


@bp.post("/skills/access-key")
def skills_access_key_action():
    """{"action": "reveal"} shows the key and capability URL; {"action": "rotate"} replaces (or first mints) it."""
    data = load(AccessKeyActionSchema(), json_body())
    if data["action"] == "reveal":
        key = skills.reveal_access_key(current_user)
    else:
        key = skills.rotate_access_key(current_user)
    return jsonify(presenters.access_key_json(skills.get_access_key(current_user), key))


@bp.delete("/skills/<name>")
def delete_skill(name):
    """Delete one of the user's skills (and its public page, if it was published)."""
    skills.delete_user_skill(current_user, name)
    return jsonify(name=name, deleted=True)
