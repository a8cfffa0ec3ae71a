"""ccas login / logout against a running server: verified before saving, saved 0600 in a 0700 directory."""
import os
import stat


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_login_verifies_the_key_and_saves_it_readable_by_the_owner_only(ccas, ada, live_server):
    result = ccas.ok("login", "--url", live_server.url + "/", "--key", ada.account_key)
    assert result.stdout.splitlines()[0] == f"Logged in to {live_server.url} as ada@example.com."
    assert str(ccas.config_file) in result.stderr
    assert ccas.config == {"url": live_server.url, "key": ada.account_key,
                           "user": {"id": ada.id, "email": "ada@example.com"}}
    assert mode(ccas.config_file) == 0o600
    assert mode(ccas.config_dir) == 0o700


def test_login_tightens_an_existing_config_directory_and_file(ccas, ada, live_server):
    ccas.config_dir.mkdir(parents=True, mode=0o755)
    os.chmod(ccas.config_dir, 0o755)
    ccas.config_file.write_text("{}")
    os.chmod(ccas.config_file, 0o644)
    ccas.ok("login", "--url", live_server.url, "--key", ada.account_key)
    assert mode(ccas.config_dir) == 0o700 and mode(ccas.config_file) == 0o600
    assert sorted(os.listdir(ccas.config_dir)) == ["config.json"]  # no temporary file left behind


def test_login_reads_the_key_from_stdin(ccas, ada, live_server):
    ccas.ok("login", "--url", live_server.url, "--key", "-", input=ada.account_key + "\n")
    assert ccas.config["key"] == ada.account_key


def test_login_without_key_and_without_a_terminal_says_how(ccas, live_server):
    ccas.fails(2, "give the account key with --key KEY", "login", "--url", live_server.url, input="")


def test_login_through_the_ai_mirror(ccas, ada, live_server):
    ccas.ok("login", "--url", live_server.url + "/ai", "--key", ada.account_key)
    assert ccas.config["url"] == live_server.url + "/ai"


def test_a_wrong_key_is_rejected_and_nothing_is_saved(ccas, factories, live_server):
    factories.user()
    line = ccas.fails(4, "the server rejected the account key", "login", "--url", live_server.url,
                      "--key", "ccas_wrongwrongwrongwrongwrongwrongwrongwrong12")
    assert "invalid account key" in line
    assert not ccas.config_file.exists()


def test_something_that_is_not_an_account_key_is_refused_before_asking(ccas, live_server):
    ccas.fails(2, "account keys start with 'ccas_'", "login", "--url", live_server.url, "--key", "sk-ant-api03-x")
    assert not ccas.config_file.exists()


def test_a_bad_url_is_a_usage_error(ccas, ada):
    ccas.fails(2, "--url must look like https://ai.hep.gg", "login", "--url", "ai.hep.gg", "--key", ada.account_key)
    ccas.fails(2, "--url must look like", "login", "--url", "ftp://ai.hep.gg", "--key", ada.account_key)


def test_a_failed_login_keeps_the_previous_one(logged_in, ada, live_server):
    before = logged_in.config
    logged_in.fails(4, "rejected", "login", "--url", live_server.url, "--key", "ccas_nope")
    assert logged_in.config == before


def test_logging_in_again_as_the_same_user_keeps_the_machine(logged_in, ada, live_server, factories):
    logged_in.ok("machine", "create", "--name", "laptop")
    machine = logged_in.config["machine"]
    logged_in.ok("login", "--url", live_server.url, "--key", ada.account_key)
    assert logged_in.config["machine"] == machine
    bob = factories.user("bob@example.com")
    logged_in.ok("login", "--url", live_server.url, "--key", bob.account_key)
    assert "machine" not in logged_in.config  # ada's machine is not bob's


def test_login_overwrites_an_unreadable_config(ccas, ada, live_server):
    ccas.write_config({"nonsense": True})
    ccas.ok("login", "--url", live_server.url, "--key", ada.account_key)
    assert ccas.config["key"] == ada.account_key


def test_logout_forgets_everything_and_is_idempotent(logged_in):
    logged_in.ok("machine", "create", "--name", "laptop")
    machine_id = logged_in.config["machine"]["id"]
    result = logged_in.ok("logout")
    assert result.stdout.strip() == "Logged out: removed the saved account key."
    assert f"ccas machine revoke {machine_id}" in result.stderr
    assert not logged_in.config_file.exists()
    again = logged_in.ok("logout")
    assert again.stdout == "" and "not logged in; nothing to do" in again.stderr
    logged_in.fails(3, "not logged in", "machine", "list")
