"""One JSON log line per request, with secrets redacted wherever they were."""
import json
import logging

import pytest

import config as config_module
from app import create_app
from app.middleware import redact_path, redact_query


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs(app):
    from app.log import JsonFormatter
    handler = Capture()
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("hepgg"), app.logger]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.lines
    for logger in loggers:
        logger.removeHandler(handler)


def test_each_request_logs_one_json_line_with_its_id(client, captured_logs):
    response = client.get("/healthz?verbose=1")
    body = response.data  # the line is written once the body has been sent
    [line] = captured_logs
    entry = json.loads(line)
    assert entry["request_id"] == response.headers["X-Request-Id"]
    assert (entry["method"], entry["path"], entry["query"], entry["status"]) == ("GET", "/healthz", "verbose=1", 200)
    assert entry["duration_ms"] >= 0 and entry["bytes"] == len(body)


def test_minted_secrets_never_reach_the_log(client, captured_logs, factories):
    user = factories.user()
    machine = factories.machine(user)
    factories.model("m")
    key = factories.llm_key(user)
    usage = factories.usage_token(user)
    secrets = [user.account_key, machine.token, key.token, usage, "sk-ant-api03-client-own-key"]

    responses = [
        client.post(f"/anthropic/{machine.token}/v1/messages?beta=true", json={"model": "x"},
                    headers={"Authorization": f"Bearer {machine.token}",
                             "x-api-key": "sk-ant-api03-client-own-key"}),
        client.get(f"/ai/anthropic/{machine.token}/v1/models"),
        client.get("/v1/models", headers={"Authorization": f"Bearer {key.token}"}),
        client.get("/usage", headers={"Authorization": f"Bearer {usage}", "Cookie": f"session={usage}"}),
        client.get(f"/me/{user.account_key}/"),
        client.get(f"/somewhere?token={usage}&key={key.token}&q={machine.token}"),
        client.get(f"/{key.token}"),
    ]
    for response in responses:
        response.close()

    text = "\n".join(captured_logs)
    assert len(captured_logs) == 7
    for secret in secrets:
        assert secret not in text
    paths = [json.loads(line)["path"] for line in captured_logs]
    assert paths[0] == "/anthropic/[redacted]/v1/messages"
    assert paths[1] == "/ai/anthropic/[redacted]/v1/models"
    assert paths[4] == "/me/[redacted]/"


def test_an_unhandled_error_is_logged_without_the_token_in_its_path(app, captured_logs):
    class Boom(config_module.TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    boom_app = create_app(Boom)

    @boom_app.route("/anthropic/<token>/boom")
    def boom(token):
        raise RuntimeError("kaput")

    response = boom_app.test_client().get("/anthropic/cct_supersecretvalue/boom")
    assert response.status_code == 500
    text = "\n".join(captured_logs)
    assert "kaput" in text and "RuntimeError" in text
    assert "cct_supersecretvalue" not in text


@pytest.mark.parametrize("path,expected", [
    ("/anthropic/anything-at-all/v1/messages", "/anthropic/[redacted]/v1/messages"),
    ("/ai/me/whatever/skill", "/ai/me/[redacted]/skill"),
    ("/x/sk-ant-oat01-abc/y", "/x/[redacted]/y"),
    ("/v1/chat/completions", "/v1/chat/completions"),
])
def test_redact_path(path, expected):
    assert redact_path(path) == expected


def test_redact_query():
    assert redact_query("beta=true&api_key=abc&x=usg_123") == "beta=true&api_key=[redacted]&x=[redacted]"
