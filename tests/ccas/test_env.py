"""ccas env: exactly the values the server issued, in each shell's syntax and as JSON."""
import json
import subprocess

import pytest

from tests.ccas.conftest import CCAS
from tests.lookups import machine_of


@pytest.fixture
def pooled(logged_in, live_server):
    logged_in.ok("machine", "create", "--name", "laptop")
    return logged_in.config["machine"]


def test_bash_output_for_a_pooled_machine(logged_in, pooled, live_server):
    token = pooled["token"]
    assert machine_of(token).id == pooled["id"]
    out = logged_in.ok("env").stdout
    assert out == (f"export ANTHROPIC_BASE_URL='{live_server.url}/anthropic/{token}'\n"
                   f"export ANTHROPIC_AUTH_TOKEN='{token}'\n")
    assert logged_in.ok("env", "--shell", "bash").stdout == out


def test_fish_and_powershell_output(logged_in, pooled, live_server):
    token, base = pooled["token"], f"{live_server.url}/anthropic/{pooled['token']}"
    assert logged_in.ok("env", "--shell", "fish").stdout == (
        f"set -gx ANTHROPIC_BASE_URL '{base}';\nset -gx ANTHROPIC_AUTH_TOKEN '{token}';\n")
    assert logged_in.ok("env", "--shell", "powershell").stdout == (
        f"$env:ANTHROPIC_BASE_URL = '{base}'\n$env:ANTHROPIC_AUTH_TOKEN = '{token}'\n")


def test_json_output_is_the_variables_to_set(logged_in, pooled, live_server):
    body = json.loads(logged_in.ok("env", "--json").stdout)
    assert body == {"ANTHROPIC_BASE_URL": f"{live_server.url}/anthropic/{pooled['token']}",
                    "ANTHROPIC_AUTH_TOKEN": pooled["token"]}


def test_bash_can_eval_it_as_the_readme_says(logged_in, pooled, live_server):
    script = ('export ANTHROPIC_AUTH_TOKEN=stale; eval "$("$@" env)"; '
              'printf "%s\\n%s\\n" "$ANTHROPIC_BASE_URL" "$ANTHROPIC_AUTH_TOKEN"')
    environ = {"HOME": str(logged_in.home), "XDG_CONFIG_HOME": str(logged_in.config_home), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["bash", "-c", script, "bash", *CCAS], capture_output=True, text=True, env=environ,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{live_server.url}/anthropic/{pooled['token']}", pooled["token"]]


def test_a_passthrough_machine_only_gets_the_base_url(logged_in, live_server):
    logged_in.ok("machine", "create", "--name", "mine", "--passthrough")
    token = logged_in.config["machine"]["token"]
    base = f"{live_server.url}/anthropic/{token}"
    assert logged_in.ok("env").stdout == f"export ANTHROPIC_BASE_URL='{base}'\nunset ANTHROPIC_AUTH_TOKEN\n"
    assert logged_in.ok("env", "--shell", "fish").stdout == (
        f"set -gx ANTHROPIC_BASE_URL '{base}';\nset -e ANTHROPIC_AUTH_TOKEN;\n")
    assert logged_in.ok("env", "--shell", "powershell").stdout == (
        f"$env:ANTHROPIC_BASE_URL = '{base}'\nRemove-Item Env:ANTHROPIC_AUTH_TOKEN -ErrorAction SilentlyContinue\n")
    assert json.loads(logged_in.ok("env", "--json").stdout) == {"ANTHROPIC_BASE_URL": base}
    script = 'export ANTHROPIC_AUTH_TOKEN=stale; eval "$("$@" env)"; echo "${ANTHROPIC_AUTH_TOKEN-unset}"'
    environ = {"HOME": str(logged_in.home), "XDG_CONFIG_HOME": str(logged_in.config_home), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["bash", "-c", script, "bash", *CCAS], capture_output=True, text=True, env=environ,
                            timeout=60)
    assert result.stdout == "unset\n"


def test_the_base_url_keeps_the_ai_mirror(ccas, ada, live_server):
    ccas.ok("login", "--url", live_server.url + "/ai", "--key", ada.account_key)
    ccas.ok("machine", "create", "--name", "m")
    token = ccas.config["machine"]["token"]
    assert json.loads(ccas.ok("env", "--json").stdout)["ANTHROPIC_BASE_URL"] == (
        f"{live_server.url}/ai/anthropic/{token}")


def test_env_works_offline_once_the_machine_exists(logged_in, pooled, live_server):
    live_server.stop()
    assert pooled["token"] in logged_in.ok("env").stdout


def test_env_needs_a_login_and_a_machine(ccas, logged_in):
    logged_in.fails(3, "this computer has no machine yet: run 'ccas machine create' first", "env")
    logged_in.ok("logout")
    logged_in.fails(3, "not logged in: run 'ccas login --url URL --key KEY' first", "env", "--json")


def test_an_unknown_shell_is_a_usage_error(logged_in, pooled):
    result = logged_in.run("env", "--shell", "tcsh")
    assert result.returncode == 2 and "invalid choice: 'tcsh'" in result.stderr
