"""The database going away under a running gunicorn worker, and coming back.

PostgreSQL (the production setup): the app reaches the database through a TCP forwarder that the
test cuts (every connection reset, new ones dropped) and restores. Every API answers 503 in its
own shape with Retry-After, /healthz says 503, and after the restore everything answers again
from the same worker. SQLite cannot vanish under an open file; what happens to it is another
process holding the write lock (a backup, a migration, a stuck writer): writes then give up
after SQLITE_BUSY_TIMEOUT with the same 503s while reads go on being served.

In both, streams already running when the database goes away reach their clients whole; their
ledger rows are finalised (the OpenAI reservation swapped for the cost) once it is back.
"""
import html
import os
import sqlite3

import pytest
import requests
from sqlalchemy.engine import make_url

from app.services.db.outage import MESSAGE
from tests.fakes import openai as openai_fake
from tests.fakes.anthropic import SseReply, message_events, usage_block
from tests.fakes.tcp_forwarder import TcpForwarder
from tests.faults.conftest import (CHAT, MESSAGE as CLAUDE_MESSAGE, bearer, chat_url, claude_rows, llm_rows,
                                   proxy_url, reserved, settled, wait_for)
from tests.faults.procfs import leftovers

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
TIMEOUT = 15


class Apis:
    """One call on each surface, with what it must answer while the database is away."""

    def __init__(self, server, machine, key, usage_token, user, factories):
        self.server, self.machine, self.key, self.usage_token = server, machine, key, usage_token
        self.browser = requests.Session()
        csrf = self.browser.get(server.url + "/api/v1/ai/csrf-token", timeout=TIMEOUT).json()["csrf_token"]
        signed_in = self.browser.post(server.url + "/api/v1/ai/login", json={"email": user.email,
                                      "password": user.password}, headers={"X-CSRFToken": csrf}, timeout=TIMEOUT)
        assert signed_in.status_code == 200, signed_in.text
        self.csrf = signed_in.json()["csrf_token"]
        self.account_key = user.account_key

    def _get(self, path, **headers):
        return requests.get(self.server.url + path, headers=headers, timeout=TIMEOUT)

    def proxy(self):
        return requests.post(proxy_url(self.server, self.machine), json=CLAUDE_MESSAGE, timeout=TIMEOUT)

    def chat(self):
        return requests.post(chat_url(self.server), json=CHAT, headers=bearer(self.key), timeout=TIMEOUT)

    def models(self):
        return self._get("/v1/models", **bearer(self.key))

    def usage(self):
        return self._get("/usage", Authorization=f"Bearer {self.usage_token}")

    def cli_me(self):
        return self._get("/api/v1/ai/cli/me", Authorization=f"Bearer {self.account_key}")

    def cli_create_machine(self):
        return requests.post(self.server.url + "/api/v1/ai/cli/machines", json={"name": "outage-box"},
                             headers={"Authorization": f"Bearer {self.account_key}"}, timeout=TIMEOUT)

    def dashboard_account(self):
        return self.browser.get(self.server.url + "/api/v1/ai/account", timeout=TIMEOUT)

    def dashboard_create_key(self):
        return self.browser.post(self.server.url + "/api/v1/ai/llm-keys", json={"label": "k", "model": "qwen3-8b"},
                                 headers={"X-CSRFToken": self.csrf}, timeout=TIMEOUT)

    def dashboard_page(self):
        return self.browser.get(self.server.url + "/", timeout=TIMEOUT)

    def health(self):
        return self._get("/healthz")


def assert_unavailable(api, response):
    """503 with Retry-After, in the shape of the API family the call belongs to."""
    name = api.__name__
    assert response.status_code == 503, (name, response.status_code, response.text)
    assert response.headers.get("Retry-After") == "5" or name == "health", name
    if name == "proxy":
        body = response.json()
        assert body["type"] == "error" and body["error"] == {"type": "api_error", "message": MESSAGE}
    elif name in ("chat", "models"):
        assert response.json() == {"error": {"message": MESSAGE, "type": "server_error", "param": None,
                                             "code": "database_unavailable"}}
    elif name == "dashboard_page":
        assert response.headers["Content-Type"].startswith("text/html") and MESSAGE in html.unescape(response.text)
    elif name == "health":
        assert response.json() == {"status": "unavailable", "database": "unreachable"}
    else:
        assert response.json() == {"error": {"code": "database_unavailable", "message": MESSAGE}}, name


def hold_streams(server, machine, key, anthropic, openai_upstream):
    """An Anthropic and an OpenAI stream, started while the database answers and held by their upstreams."""
    events = message_events(parts=["one ", "two"], usage=usage_block(input_tokens=40, output_tokens=9))
    anthropic.route("POST", "/v1/messages", SseReply(events, lockstep=True, lockstep_timeout=60))
    openai_upstream.gate.clear()
    openai_upstream.reply = openai_fake.stream(pieces=("a", "b"), gate_after=2)
    claude = requests.post(proxy_url(server, machine), json=dict(CLAUDE_MESSAGE, stream=True), stream=True,
                           timeout=30)
    chat = requests.post(chat_url(server), json=dict(CHAT, stream=True), headers=bearer(key), stream=True,
                         timeout=30)
    claude_chunks, chat_chunks = claude.iter_content(None), chat.iter_content(None)
    assert next(claude_chunks).startswith(b"event: message_start")
    assert next(chat_chunks).startswith(b"data: ")

    def finish():
        for _ in events:
            anthropic.advance()
        openai_upstream.gate.set()
        assert b"".join(claude_chunks).endswith(b'data: {"type":"message_stop"}\n\n')
        assert b"".join(chat_chunks).endswith(b"data: [DONE]\n\n")
        claude.close()
        chat.close()
        anthropic.route("POST", "/v1/messages", SseReply(message_events()))
        openai_upstream.reply = openai_fake.auto()
    return finish


def run_outage(serve, env, break_database, restore_database, *, failing, working, machine, key, user, factories,
               anthropic, openai_upstream):
    """Break the database under a serving worker, check every API, restore it, check recovery."""
    server = serve(WORKER_LEASE_SECONDS=3, **env)
    [worker] = server.worker_pids()
    port = int(server.url.rsplit(":", 1)[1])
    apis = Apis(server, machine, key, factories.usage_token(user), user, factories)
    every = failing + working
    assert [(api.__name__, api(apis).status_code) for api in every] == [
        (api.__name__, {"cli_create_machine": 201, "dashboard_create_key": 201}.get(api.__name__, 200))
        for api in every]
    baseline = reserved(user)
    finish_streams = hold_streams(server, machine, key, anthropic, openai_upstream)
    held_claude, held_llm = claude_rows()[-1].request_id, llm_rows()[-1].request_id

    break_database()
    try:
        for api in failing:
            assert_unavailable(api, api(apis))
        for api in working:
            assert api(apis).status_code == 200, api.__name__
        finish_streams()  # the clients get their whole streams; the rows cannot be written yet
        outcomes = {r.request_id: r.outcome for r in claude_rows() + llm_rows()}
        assert (outcomes[held_claude], outcomes[held_llm]) == ("in_progress", "in_progress")
    finally:
        restore_database()

    wait_for(lambda: apis.health().status_code == 200, timeout=20, what="/healthz answering 200 again")
    for api in every:
        assert api(apis).status_code in (200, 201), api.__name__
    assert server.worker_pids() == [worker]  # the same worker recovered: nothing was restarted

    # The held streams' rows are finalised by the worker's heartbeat once the database is back.
    rows = {r.request_id: r for r in settled(type(claude_rows()[0]), len(claude_rows()))}
    assert (rows[held_claude].outcome, rows[held_claude].input_tokens, rows[held_claude].output_tokens) == (
        "ok", 40, 9)
    llm = {r.request_id: r for r in settled(type(llm_rows()[0]), len(llm_rows()))}
    assert (llm[held_llm].outcome, llm[held_llm].cost_micro_usd) == ("ok", 4)
    assert reserved(user) == baseline

    # Nothing left over: no request greenlet, no half-closed database or upstream connection.
    wait_for(lambda: apis.health().status_code == 200 and not leftovers(worker, port), timeout=15,
             what=f"a clean worker (left: {leftovers(worker, port)})")


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL outage (the suite runs on SQLite now)")
def test_postgresql_going_away_and_coming_back(app, serve, machine, key, user, factories, anthropic,
                                               openai_upstream):
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with TcpForwarder(database.host or "127.0.0.1", database.port or 5432) as link:
        through_link = database.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
        run_outage(serve, {"DATABASE_URL": through_link}, link.cut, link.restore,
                   failing=[Apis.proxy, Apis.chat, Apis.models, Apis.usage, Apis.cli_me, Apis.dashboard_account,
                            Apis.dashboard_page, Apis.health],
                   working=[], machine=machine, key=key, user=user, factories=factories, anthropic=anthropic,
                   openai_upstream=openai_upstream)
        assert link.refused > 0  # the app did try to reconnect during the outage


@pytest.mark.skipif(POSTGRES, reason="SQLite write lock (the suite runs on PostgreSQL now)")
def test_sqlite_locked_by_another_process_and_released(app, serve, machine, key, user, factories, anthropic,
                                                       openai_upstream):
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)

    def lock():
        holder.execute("BEGIN IMMEDIATE")

    def release():
        if holder.in_transaction:
            holder.execute("ROLLBACK")

    try:
        run_outage(serve, {"SQLITE_BUSY_TIMEOUT": "0.3"}, lock, release,
                   failing=[Apis.proxy, Apis.chat, Apis.cli_create_machine, Apis.dashboard_create_key],
                   working=[Apis.models, Apis.usage, Apis.cli_me, Apis.dashboard_account, Apis.dashboard_page,
                            Apis.health],
                   machine=machine, key=key, user=user, factories=factories, anthropic=anthropic,
                   openai_upstream=openai_upstream)
    finally:
        holder.close()
