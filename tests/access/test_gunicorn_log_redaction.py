"""gunicorn's own error log (gunicorn.conf.py's RedactingLogger) redacts what the app's request log does."""
import importlib.util
import logging

import pytest

from app.middleware import redact_path
from tests.servers import REPO_ROOT


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", REPO_ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", [
    "/anthropic/cct_abcDEF-123_x/v1/messages", "/ai/anthropic/not-a-token/v1/models", "/me/skl_key/pdf-tools",
    "/v1/models/sk-hyd-oops", "/usage/usg_pasted", "/healthz",
])
def test_paths_are_redacted_as_the_request_log_does(conf, path):
    assert conf.redact_log_text(path) == redact_path(path)


def test_gunicorn_messages_lose_tokens_and_secret_query_values(conf):
    assert conf.redact_log_text("Invalid request from ip=1.2.3.4: Invalid HTTP header name: 'Xcct_abc'") == (
        "Invalid request from ip=1.2.3.4: Invalid HTTP header name: 'X[redacted]'")
    assert conf.redact_log_text("Invalid Request Line 'GET /anthropic/cct_a/v1/x?key=sk-ant-1&b=2 c HTTP/1.1'") == (
        "Invalid Request Line 'GET /anthropic/[redacted]/v1/x?key=[redacted]&b=2 c HTTP/1.1'")


def test_the_logger_filters_gunicorn_error_log_records(conf):
    from gunicorn.config import Config
    logger = conf.RedactingLogger(Config())
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    keep = Keep()
    logger.error_log.addHandler(keep)
    try:
        logger.error_log.setLevel(logging.DEBUG)
        logger.debug("%s %s", "POST", "/anthropic/cct_secret/v1/messages")
        logger.warning("Invalid request from ip=%s: %s", "127.0.0.1", "Invalid HTTP Header: 'usg_secret'")
    finally:
        logger.error_log.removeHandler(keep)
    assert records == ["POST /anthropic/[redacted]/v1/messages",
                       "Invalid request from ip=127.0.0.1: Invalid HTTP Header: '[redacted]'"]
