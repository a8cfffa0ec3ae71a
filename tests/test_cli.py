"""Every admin command: its effect, its last line, and a clear non-zero exit on bad input."""
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LlmKey, Machine, PoolSwitch, User
from app.services.accounts import users
from app.services.credentials import crypto, user_tokens
from app.services.pool import accounts as pool
from app.services.pool import active as pool_active
from tests.lookups import key_of, machine_of


def run(cli_runner, *args, input=None):
    result = cli_runner.invoke(args=list(args), input=input)
    return result


def last_line(result):
    return result.output.strip().splitlines()[-1]


def fails(result, message):
    assert result.exit_code != 0, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


# users ----------------------------------------------------------------------------------

def test_users_create_prints_the_account_key_once_and_the_id_last(cli_runner):
    result = run(cli_runner, "users", "create", "Ada@Example.com", "--password", "long-password", "--admin",
                 "--cap-usd", "12.5")
    assert result.exit_code == 0, result.output
    user = fresh(User, int(last_line(result)))
    assert (user.email, user.is_admin, user.cap_micro_usd) == ("ada@example.com", True, 12_500_000)
    key = result.output.split("account key (shown once): ")[1].split()[0]
    assert user_tokens.user_for_account_key(key).id == user.id


def test_users_create_default_cap_comes_from_config(cli_runner, app):
    result = run(cli_runner, "users", "create", "b@example.com", "--password", "long-password")
    user = fresh(User, int(last_line(result)))
    assert user.cap_micro_usd == int(app.config["DEFAULT_MONTHLY_CAP_USD"] * 1_000_000)
    assert not user.is_admin


@pytest.mark.parametrize("args,message", [
    (["users", "create", "not-an-email", "--password", "long-password"], "not a valid email"),
    (["users", "create", "c@example.com", "--password", "short"], "at least 8"),
    (["users", "create", "c@example.com", "--password", "long-password", "--cap-usd", "-1"], "must not be negative"),
    (["users", "create", "c@example.com", "--password", "long-password", "--cap-usd", "ten"], "must be a number"),
])
def test_users_create_rejects_bad_input(cli_runner, args, message):
    fails(run(cli_runner, *args), message)
    assert db.session.scalar(select(User)) is None


def test_users_create_rejects_a_duplicate_email(cli_runner, factories):
    factories.user("dup@example.com")
    fails(run(cli_runner, "users", "create", "DUP@example.com", "--password", "long-password"), "already exists")


def test_users_set_changes_each_setting(cli_runner, factories):
    user = factories.user()
    result = run(cli_runner, "users", "set", user.email, "--cap-usd", "50", "--overage", "on",
                 "--overage-cap-usd", "7.25", "--hep-tokens", "1234.5")
    assert result.exit_code == 0, result.output
    assert last_line(result) == str(user.id)
    user = fresh(User, user.id)
    assert (user.cap_micro_usd, user.overage_enabled, user.overage_cap_micro_usd, user.hep_token_balance_micro) == (
        50_000_000, True, 7_250_000, 1_234_500_000)
    run(cli_runner, "users", "set", user.email, "--overage", "off")
    assert fresh(User, user.id).overage_enabled is False


@pytest.mark.parametrize("args,message", [
    (["users", "set", "nobody@example.com", "--cap-usd", "1"], "no user with email nobody@example.com"),
    (["users", "set", "{email}", "--hep-tokens", "-5"], "must not be negative"),
    (["users", "set", "{email}", "--overage", "maybe"], "Invalid value"),
])
def test_users_set_rejects_bad_input(cli_runner, factories, args, message):
    user = factories.user()
    fails(run(cli_runner, *[a.format(email=user.email) for a in args]), message)


def test_users_set_password_and_bootstrap_admin(cli_runner, factories):
    result = run(cli_runner, "users", "bootstrap-admin")
    assert result.exit_code == 0
    password = result.output.split("): ")[1].strip()
    admin = users.get_user_by_email("admin@localhost")
    assert admin.is_admin and users.verify_password(admin, password)
    again = run(cli_runner, "users", "bootstrap-admin")
    assert "already exist" in again.output and "password" not in again.output
    result = run(cli_runner, "users", "set-password", "admin@localhost", "--password", "another-password")
    assert result.exit_code == 0
    assert users.verify_password(fresh(User, admin.id), "another-password")


# pool -----------------------------------------------------------------------------------

def test_pool_add_api_key_and_oauth_accounts(cli_runner):
    first = run(cli_runner, "pool", "add", "--label", "team key", "--api-key", "sk-ant-api03-abc")
    assert first.exit_code == 0, first.output
    second = run(cli_runner, "pool", "add", "--label", "max", "--oauth-access-token", "sk-ant-oat01-a",
                 "--oauth-refresh-token", "sk-ant-ort01-b", "--oauth-expires-at", "2030-01-02T03:04:05Z")
    assert second.exit_code == 0, second.output
    a, b = pool.get_pooled_account(int(last_line(first))), pool.get_pooled_account(int(last_line(second)))
    assert a.is_active and not b.is_active
    assert pool.pooled_credentials(a).secret == "sk-ant-api03-abc"
    assert (b.kind, b.oauth_expires_at) == ("oauth", datetime(2030, 1, 2, 3, 4, 5))
    assert crypto.decrypt(b.oauth_refresh_token_encrypted) == "sk-ant-ort01-b"
    assert "sk-ant" not in first.output + second.output


def test_pool_add_reads_a_secret_from_stdin(cli_runner):
    result = run(cli_runner, "pool", "add", "--label", "piped", "--api-key", "-", input="sk-ant-api03-piped\n")
    assert result.exit_code == 0, result.output
    assert pool.pooled_credentials(pool.get_pooled_account(int(last_line(result)))).secret == "sk-ant-api03-piped"


@pytest.mark.parametrize("args,message", [
    (["pool", "add", "--label", "x"], "exactly one of"),
    (["pool", "add", "--label", "x", "--api-key", "k", "--oauth-access-token", "t"], "exactly one of"),
    (["pool", "add", "--label", "x", "--api-key", "k", "--oauth-refresh-token", "r"], "go with"),
    (["pool", "add", "--label", "x", "--oauth-access-token", "t", "--oauth-expires-at", "tomorrow"], "ISO 8601"),
    (["pool", "activate", "999"], "no pooled account with id 999"),
    (["pool", "activate", "abc"], "is not a valid integer"),
    (["pool", "remove", "999"], "no pooled account with id 999"),
])
def test_pool_rejects_bad_input(cli_runner, args, message):
    fails(run(cli_runner, *args), message)


def test_pool_add_rejects_a_duplicate_label(cli_runner, factories):
    factories.pooled_account("same")
    fails(run(cli_runner, "pool", "add", "--label", "same", "--api-key", "k"), "already exists")


def test_pool_list_activate_remove(cli_runner, factories):
    first, second = factories.pooled_account("one"), factories.pooled_account("two")
    listing = run(cli_runner, "pool", "list")
    assert listing.exit_code == 0 and "one" in listing.output and "two" in listing.output
    assert "sk-ant" not in listing.output
    result = run(cli_runner, "pool", "activate", str(second.id))
    assert result.exit_code == 0 and last_line(result) == str(second.id)
    assert pool_active.active_pooled_account().id == second.id
    assert db.session.scalars(select(PoolSwitch).order_by(PoolSwitch.id)).all()[-1].via == "admin_cli"
    result = run(cli_runner, "pool", "remove", str(second.id))
    assert result.exit_code == 0 and last_line(result) == str(second.id)
    assert pool_active.active_pooled_account().id == first.id
    assert run(cli_runner, "pool", "disable", str(first.id)).exit_code != 0  # active: refuse


# models ---------------------------------------------------------------------------------

def test_models_add_with_every_option(cli_runner):
    result = run(cli_runner, "models", "add", "qwen3-8b", "--upstream-url", "http://127.0.0.1:8001/v1",
                 "--upstream-model", "Qwen/Qwen3-8B", "--upstream-api-key", "upstream-secret",
                 "--input-usd-per-mtok", "0.05", "--output-usd-per-mtok", "0.2",
                 "--cached-input-usd-per-mtok", "0.01", "--user-allowed")
    assert result.exit_code == 0, result.output
    assert last_line(result) == "qwen3-8b"
    from app.services.openai import catalogue
    model = catalogue.get_model("qwen3-8b")
    assert (model.upstream_model, model.input_micro_usd_per_mtok, model.output_micro_usd_per_mtok,
            model.cached_input_micro_usd_per_mtok, model.user_allowed) == (
        "Qwen/Qwen3-8B", 50_000, 200_000, 10_000, True)
    assert catalogue.upstream_api_key(model) == "upstream-secret"
    assert "upstream-secret" not in result.output


@pytest.mark.parametrize("extra,message", [
    (["--input-usd-per-mtok", "-1", "--output-usd-per-mtok", "1"], "must not be negative"),
    (["--input-usd-per-mtok", "cheap", "--output-usd-per-mtok", "1"], "must be a number"),
    (["--input-usd-per-mtok", "1", "--output-usd-per-mtok", "1", "--cached-input-usd-per-mtok", "0.00000001"],
     "more than 6 decimal places"),
    (["--output-usd-per-mtok", "1"], "Missing option '--input-usd-per-mtok'"),
])
def test_models_add_rejects_bad_prices(cli_runner, extra, message):
    fails(run(cli_runner, "models", "add", "m", "--upstream-url", "http://x/v1", *extra), message)


def test_models_add_rejects_bad_urls_ids_and_duplicates(cli_runner, factories):
    factories.model("taken")
    prices = ["--input-usd-per-mtok", "1", "--output-usd-per-mtok", "1"]
    fails(run(cli_runner, "models", "add", "x", "--upstream-url", "not a url", *prices), "http(s) URL")
    fails(run(cli_runner, "models", "add", "bad id", "--upstream-url", "http://x/v1", *prices), "not valid")
    fails(run(cli_runner, "models", "add", "taken", "--upstream-url", "http://x/v1", *prices), "already exists")


def test_models_set_list_remove(cli_runner, factories):
    factories.model("m", user_allowed=False)
    assert run(cli_runner, "models", "set", "m", "--user-allowed", "on", "--output-usd-per-mtok", "3").exit_code == 0
    listing = run(cli_runner, "models", "list")
    assert "m\t$0.1\t-\t$3\tyes" in listing.output
    fails(run(cli_runner, "models", "set", "ghost", "--user-allowed", "on"), "no model 'ghost'")
    assert last_line(run(cli_runner, "models", "remove", "m")) == "m"
    fails(run(cli_runner, "models", "remove", "m"), "no model 'm'")


# machines, keys, usage tokens -----------------------------------------------------------

def test_machines_create_prints_a_working_proxy_token(cli_runner, factories):
    user = factories.user()
    result = run(cli_runner, "machines", "create", user.email, "--name", "laptop", "--passthrough")
    assert result.exit_code == 0, result.output
    token = last_line(result)
    machine = machine_of(token)
    assert token.startswith("cct_") and machine.name == "laptop" and machine.passthrough
    assert machine.user_id == user.id
    fails(run(cli_runner, "machines", "create", "ghost@example.com", "--name", "x"), "no user with email")
    fails(run(cli_runner, "machines", "create", user.email, "--name", " "), "must not be empty")
    assert db.session.scalars(select(Machine)).all() == [machine]


def test_keys_create_binds_the_model_and_prints_the_key(cli_runner, factories):
    user = factories.user()
    factories.model("qwen3-8b")
    result = run(cli_runner, "keys", "create", user.email, "--model", "qwen3-8b", "--label", "ci")
    assert result.exit_code == 0, result.output
    key = key_of(last_line(result))
    assert (key.label, [m.name for m in key.models], key.user_id) == ("ci", ["qwen3-8b"], user.id)
    fails(run(cli_runner, "keys", "create", user.email, "--model", "nope"), "not available")
    fails(run(cli_runner, "keys", "create", "ghost@example.com", "--model", "qwen3-8b"), "no user with email")
    assert len(db.session.scalars(select(LlmKey)).all()) == 1


def test_usage_token_mints_once_then_prints_the_same_then_rotates(cli_runner, factories):
    user = factories.user()
    first = last_line(run(cli_runner, "usage-token", user.email))
    assert first.startswith("usg_") and user_tokens.user_for_usage_token(first).id == user.id
    assert last_line(run(cli_runner, "usage-token", user.email)) == first
    rotated = last_line(run(cli_runner, "usage-token", user.email, "--rotate"))
    assert rotated != first and user_tokens.user_for_usage_token(first) is None
    fails(run(cli_runner, "usage-token", "ghost@example.com"), "no user with email")


def test_secrets_reencrypt_keeps_everything_readable(cli_runner, factories):
    user = factories.user()
    token = factories.usage_token(user)
    account = factories.pooled_account(api_key="sk-ant-api03-k")
    result = run(cli_runner, "secrets", "reencrypt")
    assert result.exit_code == 0 and last_line(result) == "2"
    assert user_tokens.reveal_usage_token(fresh(User, user.id)) == token
    assert pool.pooled_credentials(pool.get_pooled_account(account.id)).secret == "sk-ant-api03-k"
