"""The whole walk from a fresh laptop against the app served exactly as the Procfile serves it."""
import json

from tests.lookups import machine_of


def test_login_create_env_list_usage_under_gunicorn(ccas, ada, factories, gunicorn_server):
    server = gunicorn_server()
    factories.pooled_account("team")
    ccas.ok("login", "--url", server.url, "--key", ada.account_key)
    ccas.ok("machine", "create", "--name", "laptop")
    env = json.loads(ccas.ok("env", "--json").stdout)
    token = env["ANTHROPIC_AUTH_TOKEN"]
    assert env == {"ANTHROPIC_BASE_URL": f"{server.url}/anthropic/{token}", "ANTHROPIC_AUTH_TOKEN": token}
    assert machine_of(token).name == "laptop"
    assert "laptop" in ccas.ok("machine", "list").stdout
    assert "team" in ccas.ok("usage").stdout
    assert token not in server.log_text() and ada.account_key not in server.log_text()
