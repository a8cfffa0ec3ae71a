"""CLI API routes: thin views over the machines, usage-token and pool services."""
from flask import g, jsonify

from app.cli_api import bp
from app.cli_api.auth import require_account_key
from app.cli_api.schemas import MachineCreateSchema, load_body
from app.cli_api.shapes import issued_machine_json, machine_json, usage_api_url, user_json
from app.models.base import utcnow
from app.services.credentials import machines
from app.services import reports
from app.services.credentials import user_tokens
from app.services.quota.window import WINDOW, window_start
from app.services.timestamps import iso
from app.services.pool.usage_reads import activate_account_for, read_pool_usage



@bp.get("/me")
@require_account_key
def me():
    """Verify the account key: who it belongs to."""
    return jsonify(user=user_json(g.cli_user))


@bp.post("/machines")
@require_account_key
def create_machine():
    """Create a machine (named after the caller's hostname by default); its token is shown once."""
    body = load_body(MachineCreateSchema())
    machine, token = machines.create_machine(g.cli_user, body["name"], passthrough=body["passthrough"])
    return jsonify(issued_machine_json(machine, token)), 201


@bp.get("/machines")
@require_account_key
def list_machines():
    """The caller's machines, newest first, each with its usage over the rolling 30 days."""
    now = utcnow()
    return jsonify(
        machines=[machine_json(usage.machine, usage) for usage in reports.machine_usage(g.cli_user, now)],
        usage_window={"days": WINDOW.days, "start": iso(window_start(now)), "end": iso(now)})


@bp.get("/machines/<id:machine_id>")
@require_account_key
def get_machine(machine_id):
    """One of the caller's machines with its usage."""
    machine = machines.get_machine(g.cli_user, machine_id)
    return jsonify(machine=machine_json(machine, reports.usage_of_machine(machine, utcnow())))


@bp.post("/machines/<id:machine_id>/rotate")
@require_account_key
def rotate_machine(machine_id):
    """Give a machine a new proxy token (shown once); the old one stops working at once."""
    machine, token = machines.rotate_machine_token(g.cli_user, machine_id)
    return jsonify(issued_machine_json(machine, token))


@bp.post("/machines/<id:machine_id>/revoke")
@require_account_key
def revoke_machine(machine_id):
    """Kill a machine's token for good; its usage history stays."""
    return jsonify(machine=machine_json(machines.revoke_machine(g.cli_user, machine_id)))


@bp.get("/usage-token")
@require_account_key
def show_usage_token():
    """Reveal the caller's usage token; 404 when none was minted yet."""
    return jsonify(token=user_tokens.reveal_usage_token(g.cli_user), usage_url=usage_api_url())


@bp.post("/usage-token")
@require_account_key
def mint_usage_token():
    """The caller's usage token, minted now if there was none (201) or the existing one (200)."""
    token, created = user_tokens.ensure_usage_token(g.cli_user)
    return jsonify(token=token, created=created, usage_url=usage_api_url()), 201 if created else 200


@bp.post("/usage-token/rotate")
@require_account_key
def rotate_usage_token():
    """Replace the usage token; the old one stops working at once."""
    return jsonify(token=user_tokens.rotate_usage_token(g.cli_user), usage_url=usage_api_url())


@bp.get("/usage")
@require_account_key
def pooled_usage():
    """The pool's cached usage, exactly the snapshot the usage API serves."""
    return jsonify(read_pool_usage())


@bp.post("/usage/accounts/<id:account_id>/activate")
@require_account_key
def activate_account(account_id):
    """Make a pooled account the globally active one, recorded with the caller as actor."""
    return jsonify(activate_account_for(g.cli_user, account_id, via="cli_api",
                                        reason="activated with the ccas CLI"))
