"""ccas machine create / list / rotate / revoke against a running server."""
import json
import socket

from app.extensions import db
from app.models import Machine
from app.services.credentials import machines
from tests.ledger_rows import add_claude_request
from tests.lookups import machine_of


def test_create_names_the_machine_after_this_computer_and_saves_its_token(logged_in, ada, live_server):
    result = logged_in.ok("machine", "create")
    saved = logged_in.config["machine"]
    machine = db.session.get(Machine, saved["id"])
    assert machine.user_id == ada.id and machine.name == socket.gethostname() and not machine.passthrough
    assert machine_of(saved["token"]).id == machine.id
    assert saved == {"id": machine.id, "name": machine.name, "passthrough": False, "token": saved["token"],
                     "base_url": f"{live_server.url}/anthropic/{saved['token']}"}
    assert result.stdout.splitlines() == [
        f"Created machine {machine.id} {machine.name!r} (pooled); its proxy token is saved as this computer's machine.",
        'Point Claude Code at it: eval "$(ccas env)"']
    assert saved["token"] not in result.stdout + result.stderr


def test_create_with_a_name_and_passthrough_replaces_the_current_machine(logged_in):
    logged_in.ok("machine", "create", "--name", "first")
    first = logged_in.config["machine"]
    result = logged_in.ok("machine", "create", "--name", "work laptop", "--passthrough")
    saved = logged_in.config["machine"]
    assert (saved["name"], saved["passthrough"]) == ("work laptop", True)
    assert db.session.get(Machine, saved["id"]).passthrough is True
    assert f"machine {first['id']} 'first' is no longer this computer's machine" in result.stderr
    assert machine_of(first["token"]) is not None  # still alive until revoked


def test_create_with_a_bad_name_is_refused_with_the_servers_message(logged_in):
    logged_in.fails(1, "name", "machine", "create", "--name", "x" * 200)
    logged_in.fails(1, "must not be empty", "machine", "create", "--name", "   ")
    assert "machine" not in logged_in.config


def test_list_shows_machines_with_usage_and_marks_this_computers(logged_in, ada, factories):
    logged_in.ok("machine", "create", "--name", "laptop")
    laptop = db.session.get(Machine, logged_in.config["machine"]["id"])
    desktop = factories.machine(ada, "desktop")
    factories.machine(factories.user(), "someone-elses")
    add_claude_request(laptop, input_tokens=1200, output_tokens=34, cost_micro_usd=1_234_567)
    add_claude_request(laptop, input_tokens=1, cost_micro_usd=1)

    lines = logged_in.ok("machine", "list").stdout.splitlines()

    assert lines[0].split() == ["ID", "NAME", "MODE", "STATUS", "REQUESTS", "TOKENS", "COST", "LAST", "SEEN"]
    laptop_row = next(line.split() for line in lines if line.startswith("*"))
    desktop_row = next(line.split() for line in lines[1:] if line.split()[0] == str(desktop.id))
    assert laptop_row[:8] == ["*", str(laptop.id), "laptop", "pooled", "active", "2", "1,235", "$1.23"]
    assert laptop_row[-1] == "UTC"  # last seen, from the ledger
    assert desktop_row == [str(desktop.id), "desktop", "pooled", "active", "0", "0", "$0.00", "-"]
    assert "someone-elses" not in "\n".join(lines)
    assert "* = this computer's machine" in lines[-1]


def test_list_json_is_the_servers_answer(logged_in, ada, factories):
    machine = factories.machine(ada, "desktop")
    add_claude_request(machine, output_tokens=5)
    body = json.loads(logged_in.ok("machine", "list", "--json").stdout)
    [listed] = body["machines"]
    assert (listed["id"], listed["name"], listed["usage"]["output_tokens"]) == (machine.id, "desktop", 5)
    assert body["usage_window"]["days"] == 30


def test_list_without_machines(logged_in):
    assert "No machines yet" in logged_in.ok("machine", "list").stdout


def test_rotating_this_computers_machine_saves_the_new_token(logged_in):
    logged_in.ok("machine", "create", "--name", "laptop")
    old = logged_in.config["machine"]
    result = logged_in.ok("machine", "rotate", old["id"])
    new = logged_in.config["machine"]
    assert new["id"] == old["id"] and new["token"] != old["token"]
    assert new["base_url"].endswith("/anthropic/" + new["token"])
    assert machine_of(old["token"]) is None
    assert machine_of(new["token"]).id == old["id"]
    assert "the new one is saved here" in result.stdout and new["token"] not in result.stdout


def test_rotating_another_machine_prints_its_new_token_once(logged_in, ada, factories, live_server):
    logged_in.ok("machine", "create", "--name", "laptop")
    current = logged_in.config["machine"]
    desktop = factories.machine(ada, "desktop")
    lines = logged_in.ok("machine", "rotate", desktop.id).stdout.splitlines()
    token = lines[1].split(": ")[1]
    assert machine_of(token).id == desktop.id
    assert machine_of(desktop.token) is None
    assert lines[2] == f"ANTHROPIC_BASE_URL={live_server.url}/anthropic/{token}"
    assert logged_in.config["machine"] == current


def test_revoking_this_computers_machine_forgets_it(logged_in):
    logged_in.ok("machine", "create", "--name", "laptop")
    saved = logged_in.config["machine"]
    result = logged_in.ok("machine", "revoke", saved["id"])
    assert result.stdout.strip() == f"Revoked machine {saved['id']} 'laptop': its token no longer works."
    assert "it was this computer's machine" in result.stderr
    assert machine_of(saved["token"]) is None
    assert db.session.get(Machine, saved["id"]).revoked_at is not None
    assert "machine" not in logged_in.config
    logged_in.fails(3, "this computer has no machine yet: run 'ccas machine create' first", "env")


def test_revoking_another_machine_keeps_this_computers(logged_in, ada, factories):
    logged_in.ok("machine", "create", "--name", "laptop")
    current = logged_in.config["machine"]
    desktop = factories.machine(ada, "desktop")
    logged_in.ok("machine", "revoke", desktop.id)
    assert machine_of(desktop.token) is None
    assert logged_in.config["machine"] == current


def test_unknown_and_other_users_ids_are_one_clear_line(logged_in, ada, factories):
    theirs = factories.machine(factories.user(), "theirs")
    for action in ("rotate", "revoke"):
        logged_in.fails(1, "no machine with id 424242", "machine", action, 424242)
        logged_in.fails(1, f"no machine with id {theirs.id}", "machine", action, theirs.id)
    assert machine_of(theirs.token).id == theirs.id
    revoked = factories.machine(ada, "gone")
    machines.revoke_machine(ada, revoked.id)
    logged_in.fails(1, "is revoked; create a new machine instead", "machine", "rotate", revoked.id)


def test_ids_must_be_positive_integers(logged_in):
    for bad in ("abc", "0", "-3", "1.5"):
        result = logged_in.run("machine", "rotate", bad)
        assert result.returncode == 2
        assert "ID must be a positive integer" in result.stderr
