"""No minted secret in logs, output or error bodies, end to end (in-process and under gunicorn).

The `leak_scan` fixture (conftest.py) checks every test here at teardown; these tests also
assert it explicitly, after driving the flows where a secret is most likely to escape: a
token in the URL that is wrong or rotated, a revoked key, a CLI login with a stale key, the
dashboard handing out a new secret once.
"""
import socket

import requests

from app.services.openai import keys as llm_keys
from app.services.credentials import machines
from app.services.credentials import user_tokens
from app.services.credentials.user_tokens import rotate_account_key
from tests.access.conftest import browser
from tests.ccas.conftest import Ccas
from tests.fakes.openai import FakeOpenAI

POOLED_KEY = "sk-ant-api03-pooled-credential-never-shown"
UPSTREAM_KEY = "upstream-model-credential-never-shown"


def assert_clean(scan, at_least=1):
    assert len(scan.secrets()) >= at_least
    assert scan.findings() == []


def test_proxy_with_good_bad_and_rotated_tokens(app, factories, upstream, leak_scan):
    leak_scan.watch(POOLED_KEY)
    factories.pooled_account("pool", api_key=POOLED_KEY)
    user = factories.user()
    machine = factories.machine(user)
    old = machine.token
    _, new = machines.rotate_machine_token(user, machine.id)
    client = browser(app)
    body = {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    ok = client.post(f"/anthropic/{new}/v1/messages?beta=true", json=body, headers={"x-api-key": new})
    assert ok.status_code == 200
    streamed = client.post(f"/anthropic/{new}/v1/messages", json={**body, "stream": True})
    assert streamed.status_code == 200 and b"message_stop" in streamed.data
    for token, headers in ((old, {}), (new + "x", {}), (new, {"Authorization": f"Bearer {old}"}),
                           (old, {"x-api-key": old}), ("not-a-token", {"Authorization": f"Bearer {new}"})):
        refused = client.post(f"/anthropic/{token}/v1/messages?token={token}&key={new}", json=body, headers=headers)
        assert refused.status_code == 401 and refused.json["error"]["type"] == "authentication_error"
    # Unmatched paths and methods under a token answer in the proxy's shape without echoing it.
    assert client.open(f"/anthropic/{new}", method="OPTIONS").status_code in (200, 404, 405)
    assert_clean(leak_scan, 2)


def test_openai_with_a_live_a_revoked_and_a_rotated_key(app, factories, leak_scan):
    leak_scan.watch(UPSTREAM_KEY)
    with FakeOpenAI() as fake:
        model = factories.model("qwen3-8b", upstream_url=fake.url, upstream_model="Qwen/Qwen3-8B",
                                upstream_api_key=UPSTREAM_KEY)
        user = factories.user()
        live = factories.llm_key(user, [model])
        revoked = factories.llm_key(user, [model])
        llm_keys.delete_llm_key(user, revoked.id)
        rotated = factories.llm_key(user, [model])
        llm_keys.rotate_llm_key(user, rotated.id)
        client = browser(app)
        body = {"model": "qwen3-8b", "messages": [{"role": "user", "content": "hi"}]}
        assert client.post("/v1/chat/completions", json=body,
                           headers={"Authorization": f"Bearer {live.token}"}).status_code == 200
        for dead in (revoked.token, rotated.token, live.token[:-1]):
            refused = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {dead}"})
            assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_api_key"
            assert client.get(f"/v1/models?api_key={dead}", headers={"x-api-key": dead}).status_code == 401
    assert_clean(leak_scan, 3)


def test_usage_api_with_live_rotated_and_wrong_kind_tokens(app, factories, leak_scan):
    account = factories.pooled_account("pool", api_key=POOLED_KEY)
    leak_scan.watch(POOLED_KEY)
    user = factories.user()
    old = factories.usage_token(user)
    new = user_tokens.rotate_usage_token(user)
    client = browser(app)
    assert client.get("/usage", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert client.get(f"/usage/{account.id}", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert client.get("/usage/999999", headers={"Authorization": f"Bearer {new}"}).status_code == 404
    for token in (old, user.account_key, new + "x"):
        assert client.get(f"/usage?token={token}", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert_clean(leak_scan, 2)


def test_cli_login_with_a_rotated_key_then_the_current_one(app, factories, live_server, tmp_path, leak_scan):
    user = factories.user()
    old = user.account_key
    new = rotate_account_key(user)
    leak_scan.calls(live_server.url)
    ccas = Ccas(tmp_path)
    refused = ccas.run("login", "--url", live_server.url, "--key", old)
    assert refused.returncode != 0
    leak_scan.add_text("ccas output (rotated key)", refused.stdout + refused.stderr)
    done = ccas.run("login", "--url", live_server.url, "--key", new)
    assert done.returncode == 0, done.stderr
    leak_scan.add_text("ccas output (current key)", done.stdout + done.stderr)
    made = ccas.run("machine", "create", "--name", "laptop")
    assert made.returncode == 0, made.stderr
    # The new proxy token was printed once by `machines create`; nothing else the CLI printed has it.
    api = requests.get(live_server.url + "/api/v1/ai/cli/me", headers={"Authorization": f"Bearer {old}"}, timeout=10)
    assert api.status_code == 401
    assert_clean(leak_scan, 2)


def test_dashboard_shows_a_new_secret_once(app, factories, leak_scan):
    model = factories.model("qwen3-8b")
    user = factories.user()
    factories.usage_token(user)
    client = browser(app, user)
    created = client.call("POST", "/api/v1/ai/llm-keys", {"label": "laptop", "model": model.name})
    assert created.status_code == 201, created.data
    machine = client.call("POST", "/api/v1/ai/machines", {"name": "desk"})
    assert machine.status_code == 201, machine.data
    rotated = client.call("POST", f"/api/v1/ai/llm-keys/{created.json['id']}/rotate")
    assert rotated.status_code == 200, rotated.data
    page = client.form("/dashboard/keys", {"label": "form-made", "model": model.name})
    assert page.status_code in (200, 201, 302), page.data
    revealed = client.call("POST", "/api/v1/ai/usage-token", {"action": "reveal"})
    assert revealed.status_code == 200 and revealed.json["token"].startswith("usg_")
    # Everything after: lists and pages show display prefixes only.
    for path in ("/api/v1/ai/llm-keys", "/api/v1/ai/machines", "/api/v1/ai/account", "/dashboard/keys",
                 "/dashboard/machines", "/dashboard/", "/dashboard/usage-token"):
        assert client.get(path).status_code == 200
    assert_clean(leak_scan, 3)


def _raw_request(url, request_line, headers=()):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((request_line + "\r\n" + "".join(f"{h}\r\n" for h in headers)
                      + f"Host: {host}\r\nConnection: close\r\n\r\n").encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_nothing_leaks_under_gunicorn(app, factories, upstream, gunicorn_server, leak_scan):
    """gunicorn's own log lines (errors on malformed requests included) never print a secret."""
    leak_scan.watch(POOLED_KEY)
    factories.pooled_account("pool", api_key=POOLED_KEY)
    user = factories.user()
    machine = factories.machine(user)
    old = machine.token
    _, new = machines.rotate_machine_token(user, machine.id)
    usage = factories.usage_token(user)
    key = factories.llm_key(user, [factories.model("m1")])
    server = gunicorn_server(ANTHROPIC_BASE_URL=upstream.url, LOG_LEVEL="DEBUG", GUNICORN_LOG_LEVEL="debug")
    leak_scan.calls(server.url)
    body = {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    ok = requests.post(f"{server.url}/anthropic/{new}/v1/messages", json=body, timeout=20)
    assert ok.status_code == 200, server.log_text()
    assert requests.post(f"{server.url}/anthropic/{old}/v1/messages?key={old}", json=body,
                         timeout=20).status_code == 401
    assert requests.get(f"{server.url}/usage", headers={"Authorization": f"Bearer {usage}x"},
                        timeout=20).status_code == 401
    assert requests.get(f"{server.url}/v1/models", headers={"Authorization": f"Bearer {old}"},
                        timeout=20).status_code == 401
    assert requests.get(f"{server.url}/v1/models", headers={"Authorization": f"Bearer {key.token}"},
                        timeout=20).status_code == 200
    # Requests gunicorn itself refuses before the app sees them: a space in the path, a bad
    # header, an oversized request line, all carrying tokens.
    answers = [
        _raw_request(server.url, f"GET /anthropic/{new}/v1/models?q=a b HTTP/1.1"),
        _raw_request(server.url, f"GET /anthropic/{new}/v1/models HTTP/1.1", [f"Bad Header{new}: x"]),
        _raw_request(server.url, f"GET /anthropic/{new}/v1/models HTTP/1.1", [f"x-api-key: {new}\x01"]),
        _raw_request(server.url, f"GET /anthropic/{new}/{'a' * 9000} HTTP/1.1"),
        _raw_request(server.url, f"GET /anthropic/{new}/v1/models HTTP/9.9"),
        _raw_request(server.url, f"G@T /anthropic/{new}/v1/models HTTP/1.1"),
    ]
    bad = b"HTTP/1.1 400 Bad Request"
    too_long = b"HTTP/1.1 414 URI Too Long"
    assert [answer.split(b"\r\n", 1)[0] for answer in answers] == [bad, bad, bad, too_long, bad, bad]
    server.stop()
    log = server.log_text()
    assert "Booting worker" in log
    leak_scan.add_text("gunicorn log", log)
    # gunicorn's 400 page quotes what it could not parse. Only a header *name* is quoted whole,
    # back to the client that sent it (a token pasted into a header name); the others are checked.
    for index, answer in enumerate(answers):
        if index != 1:
            leak_scan.add_text("gunicorn error response", answer.decode("latin-1"))
    assert_clean(leak_scan, 4)
