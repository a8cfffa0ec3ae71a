"""Pages for the user's machines and LLM keys (routes on the pages blueprint)."""
from flask import render_template, request
from flask_login import current_user

from app.dashboard.pages import back, bp, form_data
from app.dashboard.schemas import LlmKeyCreateSchema, MachineCreateSchema, load
from app.models.base import utcnow
from app.services.openai import catalogue
from app.services.openai import keys as llm_keys
from app.services.credentials import machines
from app.services import reports
from app.services.quota import window as spend_window
from app.services.errors import Conflict, InvalidInput


def _render_machines(status=200, **extra):
    now = utcnow()
    report = reports.machine_usage(current_user, now)
    return render_template("dashboard/machines.html", report=report, total=reports.total_usage(report),
                           window_start=spend_window.window_start(now), form=request.form, **extra), status


@bp.get("/machines")
def machines_page():
    """Each machine with its requests, tokens by kind, API-equivalent cost and last-seen time."""
    return _render_machines()


@bp.post("/machines")
def create_machine():
    """Create a machine and show its proxy token once."""
    try:
        data = load(MachineCreateSchema(), form_data("name", checkboxes=["passthrough"]))
        machine, token = machines.create_machine(current_user, data["name"], passthrough=data["passthrough"])
    except InvalidInput as exc:
        return _render_machines(400, create_errors=exc.fields or {"name": [exc.message]})
    return _render_machines(secret={"kind": "proxy token", "name": machine.name, "value": token})


@bp.post("/machines/<id:machine_id>/rotate")
def rotate_machine(machine_id):
    """Give a machine a new proxy token and show it once."""
    try:
        machine, token = machines.rotate_machine_token(current_user, machine_id)
    except Conflict as exc:
        return back(".machines_page", exc.message, "error")
    return _render_machines(secret={"kind": "proxy token", "name": machine.name, "value": token})


@bp.post("/machines/<id:machine_id>/passthrough")
def toggle_passthrough(machine_id):
    """Switch a machine between pooled credentials and its own login (passthrough)."""
    machine = machines.get_machine(current_user, machine_id)
    machine = machines.set_machine_passthrough(current_user, machine_id, not machine.passthrough)
    mode = "passes its own login through" if machine.passthrough else "uses the pool"
    return back(".machines_page", f"{machine.name} now {mode}.")


@bp.route("/machines/<id:machine_id>/revoke", methods=["GET", "POST"])
def revoke_machine(machine_id):
    """Ask, then revoke a machine for good (its usage history stays)."""
    machine = machines.get_machine(current_user, machine_id)
    if request.method == "GET":
        return render_template(
            "dashboard/confirm.html", title=f"Revoke machine {machine.name}?", action_label="Revoke machine",
            explanation="Its proxy token stops working at once and cannot be restored; its usage history stays.",
            cancel=".machines_page")
    machines.revoke_machine(current_user, machine_id)
    return back(".machines_page", f"Revoked {machine.name}.")


def _render_keys(status=200, **extra):
    return render_template("dashboard/keys.html", keys=llm_keys.list_llm_keys(current_user),
                           models=catalogue.models_available_to(current_user), form=request.form,
                           **extra), status


@bp.get("/keys")
def keys_page():
    """The user's LLM keys, and a form to create one (label and model)."""
    return _render_keys()


@bp.post("/keys")
def create_key():
    """Create an LLM key and show it once."""
    try:
        data = load(LlmKeyCreateSchema(), form_data("label", "model"))
        model = data.get("model")
        key, secret = llm_keys.create_llm_key(current_user, model_names=[model] if model else None,
                                              label=data.get("label"))
    except InvalidInput as exc:
        return _render_keys(400, create_errors=exc.fields or {"label": [exc.message]})
    return _render_keys(secret={"kind": "LLM key", "name": key.label, "value": secret})


@bp.post("/keys/<id:key_id>/rotate")
def rotate_key(key_id):
    """Replace a key's secret and show the new one once."""
    key, secret = llm_keys.rotate_llm_key(current_user, key_id)
    return _render_keys(secret={"kind": "LLM key", "name": key.label, "value": secret, "rotated": True})


@bp.route("/keys/<id:key_id>/delete", methods=["GET", "POST"])
def delete_key(key_id):
    """Ask, then delete an LLM key (it stops working at once)."""
    key = llm_keys.get_llm_key(current_user, key_id)
    if request.method == "GET":
        return render_template(
            "dashboard/confirm.html", title=f"Delete LLM key {key.label}?", action_label="Delete key",
            explanation=f"{key.key_prefix}… stops working at once. Programs using it will get 401 errors.",
            cancel=".keys_page")
    llm_keys.delete_llm_key(current_user, key_id)
    return back(".keys_page", f"Deleted key {key.label}.")
