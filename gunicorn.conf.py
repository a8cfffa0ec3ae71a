"""gunicorn settings for `web:` (Procfile). Every value can be overridden from the environment."""
import logging
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
# One gevent worker per core: each multiplexes many streams; more workers only add memory.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Simultaneous clients per worker, long-lived streams included.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
# For async workers `timeout` is only the worker heartbeat, not a limit on a request,
# so a stream can live as long as the upstream keeps it going.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On deploy/restart, streams in flight get this long to finish before being cut.
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "120"))
keepalive = int(os.environ.get("KEEPALIVE", "5"))
# No --preload: the app must be imported after the gevent worker has patched the stdlib.
preload_app = False
# gunicorn's access log would print raw paths, which carry proxy tokens; the app writes its
# own redacted JSON request log instead.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Large bodies (Claude Code sends long conversations) are allowed through; the app enforces
# MAX_REQUEST_BYTES itself. Header limits stay at gunicorn's defaults.
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# gunicorn's own log lines quote request paths and lines (DEBUG "POST /anthropic/<token>/...",
# WARNING "Invalid request ... 'GET /anthropic/<token>/... x HTTP/1.1'"). These patterns match
# app.middleware's redaction; they are repeated here because importing the app package in the
# master, before the gevent workers patch the stdlib, is what preload_app = False avoids.
_TOKEN_RE = re.compile(r"(?:ccas_|cct_|usg_|sk-hyd-|skl_|sk-ant-)[^/?&#\s'\"]*")
_CREDENTIAL_SEGMENT_RE = re.compile(r"((?:/ai)?/(?:anthropic|me))/[^/?#\s'\"]+")
_SENSITIVE_QUERY_RE = re.compile(
    r"([?&](?:key|api_key|apikey|token|access_token|secret|password|auth|authorization|code)=)[^&#\s'\"]*",
    re.IGNORECASE)
REDACTED = "[redacted]"


def redact_log_text(text):
    """A gunicorn log message with credential path segments, token-like strings and secret query values replaced."""
    text = _CREDENTIAL_SEGMENT_RE.sub(lambda m: f"{m.group(1)}/{REDACTED}", text)
    text = _SENSITIVE_QUERY_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_RE.sub(REDACTED, text)


class _RedactSecrets(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        redacted = redact_log_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class RedactingLogger(Logger):
    """gunicorn's logger, its error log passed through redact_log_text."""

    def setup(self, cfg):
        super().setup(cfg)
        if not any(isinstance(f, _RedactSecrets) for f in self.error_log.filters):
            self.error_log.addFilter(_RedactSecrets())


logger_class = RedactingLogger


def post_worker_init(worker):
    """Register the worker's heartbeat lease at once and let it sweep dead workers' ledger rows."""
    from flask import Flask

    from app.services.upkeep.worker import start_gunicorn_worker
    if isinstance(worker.wsgi, Flask):
        start_gunicorn_worker(worker.wsgi)
