"""What each ccas command does: talk to the server, update the saved config, print the result.

Results go to stdout; notes and errors to stderr, so `eval "$(ccas env)"` and
`TOKEN=$(ccas usage-token)` capture only what they should.
"""
import getpass
import json
import socket
import sys

from ccas import config
from ccas.errors import NotConfigured, UsageError
from ccas.shells import machine_environment, render_environment, render_environment_json
from ccas.tables import (format_count, format_percent, format_table, format_time, format_until,
                         format_usd)

ACCOUNT_KEY_PREFIX = "ccas_"
MACHINE_HINT = "run 'ccas machine create' first"


def out(text=""):
    print(text)


def note(text):
    print(f"ccas: {text}", file=sys.stderr)


def _saved_config_if_any():
    """The saved config, or None when there is none or it is unreadable (login/logout replace it)."""
    try:
        return config.read_config()
    except NotConfigured:
        return None


def _api():
    # Imported on first use: `requests` costs more start-up time than `ccas env` needs in a shell rc file.
    from ccas import api
    return api


def _client(cfg):
    return _api().Client(cfg["url"], cfg["key"])


def _read_key(value):
    if value == "-":
        value = sys.stdin.readline()
    elif value is None:
        if not sys.stdin.isatty():
            raise UsageError("give the account key with --key KEY (or --key - to read it from stdin)")
        value = getpass.getpass("Account key (ccas_...): ")
    value = (value or "").strip()
    if not value.startswith(ACCOUNT_KEY_PREFIX) or len(value) == len(ACCOUNT_KEY_PREFIX):
        raise UsageError("that is not an account key: account keys start with 'ccas_' "
                         "(the dashboard shows yours)")
    return value


def _machine_entry(issued, *, token=None):
    machine = issued["machine"]
    return {"id": machine["id"], "name": machine["name"], "passthrough": machine["passthrough"],
            "token": token or issued["token"], "base_url": issued["base_url"]}


def _mode(passthrough):
    return "passthrough" if passthrough else "pooled"


# --- login / logout ------------------------------------------------------------------------

def login(args):
    """Verify the key against the server, then save URL, key and user."""
    url = _api().normalize_url(args.url)
    key = _read_key(args.key)
    me = _api().Client(url, key).get("/me")
    user = me.get("user") or {}
    previous = _saved_config_if_any()
    cfg = {"url": url, "key": key, "user": {"id": user.get("id"), "email": user.get("email")}}
    same_account = previous and previous.get("url") == url and (previous.get("user") or {}).get("id") == user.get("id")
    if same_account and previous.get("machine"):
        cfg["machine"] = previous["machine"]
    path = config.write_config(cfg)
    out(f"Logged in to {url} as {user.get('email')}.")
    if cfg.get("machine"):
        out(f"Current machine: {cfg['machine']['id']} {cfg['machine']['name']!r}.")
    else:
        out("Next: 'ccas machine create' gives this computer its proxy token.")
    note(f"saved to {path}")


def logout(_args):
    """Forget the saved login and machine token (the machine itself stays on the server)."""
    cfg = _saved_config_if_any()
    if not config.delete_config():
        note("not logged in; nothing to do")
        return
    out("Logged out: removed the saved account key.")
    machine = (cfg or {}).get("machine")
    if machine:
        note(f"machine {machine['id']} {machine['name']!r} still exists on the server; "
             f"'ccas machine revoke {machine['id']}' (while logged in) kills its token")


# --- machines ------------------------------------------------------------------------------

def machine_create(args):
    """Create a machine, named after this computer unless --name is given, and make it current."""
    cfg = config.require_login()
    body = {"hostname": socket.gethostname(), "passthrough": bool(args.passthrough)}
    if args.name is not None:
        body["name"] = args.name
    issued = _client(cfg).post("/machines", body)
    previous = cfg.get("machine")
    cfg["machine"] = _machine_entry(issued)
    config.write_config(cfg)
    machine = cfg["machine"]
    out(f"Created machine {machine['id']} {machine['name']!r} ({_mode(machine['passthrough'])}); "
        "its proxy token is saved as this computer's machine.")
    out('Point Claude Code at it: eval "$(ccas env)"')
    if previous:
        note(f"machine {previous['id']} {previous['name']!r} is no longer this computer's machine; its "
             f"token still works until 'ccas machine revoke {previous['id']}'")


def machine_list(args):
    """The account's machines with their usage over the rolling 30 days."""
    cfg = config.require_login()
    body = _client(cfg).get("/machines")
    if args.json:
        out(json.dumps(body, indent=2))
        return
    current = (cfg.get("machine") or {}).get("id")
    rows = []
    for m in body.get("machines", []):
        usage = m.get("usage") or {}
        rows.append(["*" if m["id"] == current else "", m["id"], m["name"], _mode(m["passthrough"]), m["status"],
                     format_count(usage.get("requests")), format_count(usage.get("total_tokens")),
                     format_usd(usage.get("cost_usd")), format_time(m.get("last_seen_at"))])
        if m["id"] == current and m["passthrough"] != cfg["machine"].get("passthrough"):
            cfg["machine"]["passthrough"] = m["passthrough"]  # switched on the dashboard since
            config.write_config(cfg)
    if not rows:
        out("No machines yet: 'ccas machine create' makes one for this computer.")
        return
    days = (body.get("usage_window") or {}).get("days", 30)
    out(format_table(["", "ID", "NAME", "MODE", "STATUS", "REQUESTS", "TOKENS", "COST", "LAST SEEN"], rows))
    out(f"\nUsage over the last {days} days; cost at Anthropic API list prices."
        + (" * = this computer's machine." if current else ""))


def machine_rotate(args):
    """New proxy token for a machine; saved here if it is this computer's, else printed once."""
    cfg = config.require_login()
    issued = _client(cfg).post(f"/machines/{args.id}/rotate")
    machine = issued["machine"]
    if (cfg.get("machine") or {}).get("id") == machine["id"]:
        cfg["machine"] = _machine_entry(issued)
        config.write_config(cfg)
        out(f"Rotated machine {machine['id']} {machine['name']!r}: the old token stopped working; "
            "the new one is saved here.")
        out('Run eval "$(ccas env)" again in open shells.')
        return
    out(f"Rotated machine {machine['id']} {machine['name']!r}: the old token stopped working.")
    out(f"New proxy token (shown once): {issued['token']}")
    out(f"ANTHROPIC_BASE_URL={issued['base_url']}")


def machine_revoke(args):
    """Kill a machine's token for good (its usage history stays)."""
    cfg = config.require_login()
    machine = _client(cfg).post(f"/machines/{args.id}/revoke")["machine"]
    out(f"Revoked machine {machine['id']} {machine['name']!r}: its token no longer works.")
    if (cfg.get("machine") or {}).get("id") == machine["id"]:
        del cfg["machine"]
        config.write_config(cfg)
        note(f"it was this computer's machine; {MACHINE_HINT} for a new one")


# --- environment ---------------------------------------------------------------------------

def env(args):
    """Print what Claude Code needs for this computer's machine (no network)."""
    cfg = config.require_login()
    machine = cfg.get("machine")
    if not machine or not machine.get("token") or not machine.get("base_url"):
        raise NotConfigured(f"this computer has no machine yet: {MACHINE_HINT}")
    variables, unset = machine_environment(machine)
    if args.json:
        out(render_environment_json(variables))
    else:
        out(render_environment(args.shell, variables, unset))


# --- pool and usage token ------------------------------------------------------------------

def usage(args):
    """The pool's cached usage windows, the active account marked."""
    cfg = config.require_login()
    body = _client(cfg).get("/usage")
    if args.json:
        out(json.dumps(body, indent=2))
        return
    accounts = body.get("accounts") or []
    if not accounts:
        out("The pool has no accounts yet.")
        return
    rows = []
    for account in accounts:
        windows = account.get("windows") or {}
        five, seven = windows.get("five_hour") or {}, windows.get("seven_day") or {}
        rows.append(["*" if account.get("active") else "", account.get("id"), account.get("label"),
                     account.get("status"),
                     format_percent(five.get("utilization_percent")), format_until(five.get("resets_at")),
                     format_percent(seven.get("utilization_percent")), format_until(seven.get("resets_at"))])
    out(format_table(["", "ID", "ACCOUNT", "STATUS", "5H", "5H RESETS", "7D", "7D RESETS"], rows))
    out(f"\n* = active account. Cached usage, last fetched {format_time(body.get('fetched_at'))}.")


def usage_token(args):
    """Print the usage token (minting one the first time); --rotate replaces it."""
    cfg = config.require_login()
    client = _client(cfg)
    if args.rotate:
        body = client.post("/usage-token/rotate")
        note("rotated the usage token: the old one stopped working")
    else:
        body = client.post("/usage-token")
        if body.get("created"):
            note("minted a new usage token")
    out(body["token"])
    note(f"use it as 'Authorization: Bearer <token>' on {body.get('usage_url')}")


def activate(args):
    """Make a pooled account the globally active one."""
    cfg = config.require_login()
    body = _client(cfg).post(f"/usage/accounts/{args.id}/activate")
    account = body["account"]
    if body.get("changed"):
        out(f"Pooled account {account['id']} {account['label']!r} is now active.")
    else:
        out(f"Pooled account {account['id']} {account['label']!r} was already active.")
