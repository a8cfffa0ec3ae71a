"""Every way ccas can fail: one line on stderr, the documented exit status, never a traceback."""
import json
import socket

import pytest

from app.services.credentials import user_tokens
from tests.fakes.http import FakeServer
from tests.servers import free_port

COMMANDS_NEEDING_A_LOGIN = [
    ("machine", "create"), ("machine", "list"), ("machine", "rotate", "1"), ("machine", "revoke", "1"),
    ("env",), ("usage",), ("usage-token",), ("usage-token", "--rotate"), ("activate", "1"),
]


@pytest.mark.parametrize("args", COMMANDS_NEEDING_A_LOGIN)
def test_every_command_says_to_log_in_first(ccas, args):
    ccas.fails(3, "not logged in: run 'ccas login --url URL --key KEY' first", *args)


def test_an_unreadable_config_is_named(ccas):
    ccas.config_dir.mkdir(parents=True)
    ccas.config_file.write_text("{not json")
    ccas.fails(3, f"{ccas.config_file} is not valid JSON", "usage")
    ccas.write_config({"url": "http://x"})
    ccas.fails(3, "is incomplete", "machine", "list")


@pytest.mark.parametrize("args", [a for a in COMMANDS_NEEDING_A_LOGIN if a != ("env",)])
def test_a_key_rotated_after_login_is_exit_4(logged_in, ada, args):
    user_tokens.rotate_account_key(ada)
    logged_in.fails(4, "the server rejected the account key (invalid account key", *args)


def test_an_unreachable_server(ccas, ada):
    url = f"http://127.0.0.1:{free_port()}"
    ccas.fails(5, f"could not reach {url}: connection refused", "login", "--url", url, "--key", ada.account_key)
    assert not ccas.config_file.exists()


def test_a_server_that_went_away_after_login(logged_in, live_server):
    live_server.stop()
    logged_in.fails(5, f"could not reach {live_server.url}: connection refused", "machine", "list")


def test_a_server_that_never_answers_times_out(ccas, ada):
    with socket.socket() as silent:  # the kernel accepts connections; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = "http://127.0.0.1:%d" % silent.getsockname()[1]
        ccas.fails(5, f"{url} did not answer within 0.5s (set CCAS_TIMEOUT to wait longer)",
                   "login", "--url", url, "--key", ada.account_key, env={"CCAS_TIMEOUT": "0.5"})


def test_a_bad_timeout_setting(ccas, ada):
    ccas.fails(2, "CCAS_TIMEOUT must be a positive number of seconds, got 'soon'", "login", "--url",
               "http://127.0.0.1:9", "--key", ada.account_key, env={"CCAS_TIMEOUT": "soon"})


def _json(status, body):
    return lambda _req: (status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def test_something_that_is_not_a_hep_gg_server(ccas, ada):
    with FakeServer() as fake:
        fake.route("GET", "/api/v1/ai/cli/me", lambda _req: (200, {"Content-Type": "text/html"}, b"<html>hi</html>"))
        ccas.fails(5, f"unexpected answer from {fake.url} (not a JSON object): is it a Hep.gg AI server?",
                   "login", "--url", fake.url, "--key", ada.account_key)
    with FakeServer() as fake:  # every path 404s with some other JSON
        ccas.fails(5, f"unexpected HTTP 404 from {fake.url}: is it a Hep.gg AI server?",
                   "login", "--url", fake.url, "--key", ada.account_key)


def test_a_redirect_is_not_followed_with_the_key(ccas, ada):
    with FakeServer() as fake:
        moved = {"Location": "https://ai.hep.gg/api/v1/ai/cli/me"}
        fake.route("GET", "/api/v1/ai/cli/me", lambda _req: (301, moved, b""))
        ccas.fails(5, f"{fake.url} redirects to https://ai.hep.gg/api/v1/ai/cli/me; log in with the server's real URL",
                   "login", "--url", fake.url, "--key", ada.account_key)
        assert len(fake.requests) == 1


def test_a_server_error_is_reported_with_its_message(ccas, ada):
    with FakeServer() as fake:
        fake.route("GET", "/api/v1/ai/cli/me", _json(200, {"user": {"id": 1, "email": "ada@example.com"}}))
        fake.route("POST", "/api/v1/ai/cli/machines",
                   _json(500, {"error": {"code": "internal_error", "message": "Internal server error."}}))
        ccas.ok("login", "--url", fake.url, "--key", ada.account_key)
        ccas.fails(1, "server error (HTTP 500): Internal server error.", "machine", "create", "--name", "m")
        sent = fake.requests[-1]
        assert sent.headers["Authorization"] == f"Bearer {ada.account_key}"
        assert sent.headers["User-Agent"].startswith("ccas/")
        assert sent.json() == {"hostname": socket.gethostname(), "passthrough": False, "name": "m"}
    assert "machine" not in ccas.config


def test_a_command_without_its_arguments_is_a_usage_error(ccas):
    for args in ([], ["machine"], ["machine", "rotate"], ["activate"], ["login"]):
        result = ccas.run(*args)
        assert result.returncode == 2, args
        assert "error:" in result.stderr and result.stderr.startswith("usage: ccas")
